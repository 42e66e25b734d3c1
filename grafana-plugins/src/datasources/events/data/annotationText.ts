import type { LookoutEvent } from '../../../api';

export interface EventAnnotation {
  title: string;
  text: string;
  tags: string[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** What happened, in a few words, per event family. */
function whatOf(e: LookoutEvent): string {
  const d = e.data ?? {};
  const [family, step] = [e.kind.split('.')[0], e.kind.slice(e.kind.indexOf('.') + 1)];
  switch (family) {
    case 'action':
      return `${str(d.action) ?? 'action'} ${str(d.status) ?? step}`;
    case 'incident':
      return `incident ${step}${str(d.title) ? `: ${d.title}` : ''}`;
    case 'kill_switch':
      return `kill switch ${step}`;
    case 'decision': {
      const verdict = str(d.verdict) ?? step;
      const action = str(d.action);
      return `${str(d.policy) ?? 'policy'}: ${verdict}${action ? ` → ${action}` : ''}`;
    }
    case 'scheduler':
      return `scheduler ${step}`;
    case 'task':
      return `task ${String(d.task_id ?? e.subject ?? '')} ${step.replace(/_/g, ' ')}`.replace(/\s+/g, ' ');
    case 'agent':
      return `agent ${str(d.agent) ?? e.subject ?? ''} ${step.replace(/_/g, ' ')}`;
    default:
      return `${e.kind}${e.subject ? ` ${e.subject}` : ''}`;
  }
}

/**
 * An event as an annotation that says who did what and why: `retrain applied — by grafana:erin: drift
 * high since 10:00`. The why is the reason an operator gave, else the incident title, the decision's
 * reason or the error.
 */
export function annotationOf(e: LookoutEvent): EventAnnotation {
  const d = e.data ?? {};
  const who = e.actor ?? str(d.actor) ?? e.source;
  const why = str(d.reason) ?? str(d.error) ?? str(d.last_error);
  const what = whatOf(e);
  return {
    title: what,
    text: `${what} — by ${who}${why ? `: ${why}` : ''}`,
    tags: [e.source, e.kind, e.severity],
  };
}
