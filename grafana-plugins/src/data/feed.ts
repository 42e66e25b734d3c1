import type { LookoutEvent, Severity } from '../api';
import { atLeast } from './severity';

/**
 * Merges incoming events into the list (newest first), dropping duplicates by id (SSE replays after a reconnect
 * and polling overlap both resend events) and keeping at most `max` rows.
 */
export function mergeEvents(current: LookoutEvent[], incoming: LookoutEvent[], max: number): LookoutEvent[] {
  if (incoming.length === 0) {
    return current;
  }
  const seen = new Set(current.map((e) => e.id));
  const fresh = incoming.filter((e) => {
    if (seen.has(e.id)) {
      return false;
    }
    seen.add(e.id);
    return true;
  });
  if (fresh.length === 0) {
    return current;
  }
  // ULIDs sort by time; fall back to ts for ids that are not ULIDs.
  const all = [...fresh, ...current];
  all.sort((a, b) => (a.id === b.id ? 0 : compareEvents(b, a)));
  return all.length > max ? all.slice(0, max) : all;
}

function compareEvents(a: LookoutEvent, b: LookoutEvent): number {
  if (a.ts !== b.ts) {
    return a.ts < b.ts ? -1 : 1;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function filterBySeverity(events: LookoutEvent[], min: Severity): LookoutEvent[] {
  return min === 'debug' ? events : events.filter((e) => atLeast(e.severity, min));
}

/** The incident id an event refers to, when it is an incident event that can still be acknowledged. */
export function incidentIdOf(e: LookoutEvent): string | undefined {
  if (!e.kind.startsWith('incident.')) {
    return undefined;
  }
  const id = (e.data?.incident_id ?? e.data?.id ?? e.subject) as unknown;
  return typeof id === 'string' && id ? id : undefined;
}

/** The diagnostic (`D-42`) an event concerns: every diagnostics event, including an incident linked to one. */
export function diagnosticIdOf(e: LookoutEvent): string | undefined {
  const id = e.data?.diagnostic_id as unknown;
  return typeof id === 'string' && /^D-\d+$/.test(id) ? id : undefined;
}

/** The decision id a scheduler event refers to, for its "why" link. */
export function decisionIdOf(e: LookoutEvent): string | undefined {
  if (!e.kind.startsWith('decision') && !(e.source === 'scheduler' && e.data?.decision_id)) {
    return undefined;
  }
  const id = (e.data?.decision_id ?? e.data?.id ?? e.subject) as unknown;
  return typeof id === 'string' && id ? id : undefined;
}

/** Parses one SSE `data:` payload; returns undefined for anything that is not an event envelope. */
export function parseEventData(raw: string): LookoutEvent | undefined {
  try {
    const v = JSON.parse(raw) as Partial<LookoutEvent>;
    if (typeof v?.id === 'string' && typeof v.kind === 'string' && typeof v.ts === 'string') {
      return { severity: 'info', node: '', source: '', ...v } as LookoutEvent;
    }
  } catch {
    // A malformed frame is dropped; the next one or the poller will catch up.
  }
  return undefined;
}

/** Whether an event is a shadow rule's decision (or its recovery): recorded, never acted on. */
export function isShadow(e: LookoutEvent): boolean {
  return e.source === 'guardian' && e.data?.shadow === true;
}
