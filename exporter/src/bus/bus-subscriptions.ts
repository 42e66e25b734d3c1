import type { Counter } from '../metrics/metrics-registry';
import type { Logger } from '../log/logger';
import type { BusMessage } from './bus';

/** Which kind of inbound subject a rejected message came in on (a bounded label). */
export type SubjectKind = 'telemetry' | 'heartbeat';

/**
 * The one way inbound bus messages are refused: an error reply when the sender waits for one
 * (request/reply), a count by subject kind, and a log line — a warning the first time per kind,
 * debug after that, so a misbehaving publisher cannot flood the log. Never throws.
 */
export class BusRejections {
  private readonly warned = new Set<SubjectKind>();
  private readonly counts = new Map<SubjectKind, number>();

  constructor(
    private readonly counter: Counter<'subject_kind'>,
    private readonly log: Logger
  ) {}

  reject(kind: SubjectKind, msg: BusMessage, error: string): void {
    this.counter.inc({ subject_kind: kind });
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    const entry = { subject: msg.subject, subject_kind: kind, error };
    if (this.warned.has(kind)) this.log.debug(entry, 'bus message rejected');
    else {
      this.warned.add(kind);
      this.log.warn(entry, 'bus message rejected (logged once per kind; see lookout_bus_rejected_total)');
    }
    msg.reply?.({ ok: false, error });
  }

  total(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

/** zod issues → one readable line naming the fields. */
export function describeIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}
