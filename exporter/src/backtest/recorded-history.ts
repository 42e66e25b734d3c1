import type { Db } from '../store/database';
import type { RealFire } from './backtest-compare';

/** Rows of one kind read for a backtest at most (a range with more is not one a person compares by eye). */
const MAX_ROWS = 50_000;

const iso = (ms: number): string => new Date(ms).toISOString();

export interface RealIncident {
  id: string;
  rule: string;
  severity: string;
  title: string;
  opened_at: string;
  resolved_at: string | null;
}

export interface RealKill {
  at: string;
  actor: string | null;
  incident_id: string | null;
}

/**
 * What really happened over a range, read from the event log and the incidents table: the decisions to
 * compare with, and the flushes, resolutions and start-ups a backtest replays.
 */
export class RecordedHistory {
  constructor(private readonly db: Db) {}

  private events(
    kind: string,
    from: number,
    to: number | null,
    extra = ''
  ): { ts: string; data: string; actor: string | null }[] {
    return this.db
      .prepare(
        `SELECT ts, data, actor FROM events WHERE kind = ? AND ts >= ? AND ts <= ? ${extra} ORDER BY ts, seq LIMIT ?`
      )
      .all(kind, iso(from), to === null ? '9999' : iso(to), MAX_ROWS) as {
      ts: string;
      data: string;
      actor: string | null;
    }[];
  }

  /** When flush_guardrails cleared the latches (its action applied), oldest first. */
  flushes(from: number, to: number): number[] {
    return this.events('action.applied', from, to, "AND json_extract(data, '$.action') = 'flush_guardrails'").map((e) =>
      Date.parse(e.ts)
    );
  }

  /** When an incident of one of these rules was resolved, oldest first. */
  resolutions(from: number, to: number, rules: ReadonlySet<string>): { t: number; rule: string }[] {
    const out: { t: number; rule: string }[] = [];
    for (const e of this.events('incident.resolved', from, to)) {
      const rule = (JSON.parse(e.data) as { rule?: unknown }).rule;
      if (typeof rule === 'string' && rules.has(rule)) out.push({ t: Date.parse(e.ts), rule });
    }
    return out;
  }

  /**
   * When the sidecar started, from its heartbeats (time minus uptime): the start before `from` first,
   * then every restart in the range. Falls back to `from` when no heartbeat is kept.
   */
  starts(from: number, to: number): number[] {
    const startOf = (e: { ts: string; data: string }): number | null => {
      const up = (JSON.parse(e.data) as { uptime_s?: unknown }).uptime_s;
      return typeof up === 'number' ? Date.parse(e.ts) - up * 1000 : null;
    };
    const before = this.db
      .prepare("SELECT ts, data FROM events WHERE kind = 'heartbeat' AND ts < ? ORDER BY ts DESC LIMIT 1")
      .get(iso(from)) as { ts: string; data: string } | undefined;
    const starts: number[] = [];
    const first = before ? startOf(before) : null;
    if (first !== null) starts.push(first);
    for (const e of this.db
      .prepare("SELECT ts, data FROM events WHERE kind = 'heartbeat' AND ts >= ? AND ts <= ? ORDER BY ts")
      .iterate(iso(from), iso(to)) as IterableIterator<{ ts: string; data: string }>) {
      const s = startOf(e);
      // Uptime is whole seconds: a start within two seconds of the last one is the same start.
      if (s !== null && (starts.length === 0 || s - starts.at(-1)! > 2000)) starts.push(s);
    }
    if (!starts.length) starts.push(from);
    return starts;
  }

  /** The guardian's recorded decisions (`rule.fired`, live and shadow) of these rules at a tick in [from, to]. */
  fires(from: number, to: number, rules: ReadonlySet<string>, slackMs: number): RealFire[] {
    const out: RealFire[] = [];
    // Selected by the tick they name (`at`): the event's own time is when it was written, a moment later.
    for (const e of this.events('rule.fired', from - slackMs, null)) {
      const d = JSON.parse(e.data) as Record<string, unknown>;
      const rule = d['rule'];
      if (typeof rule !== 'string' || !rules.has(rule)) continue;
      // The tick the decision was made at; older events carry only their own time.
      const at = typeof d['at'] === 'string' ? Date.parse(d['at']) : Date.parse(e.ts);
      if (at < from || at > to) continue;
      out.push({
        rule,
        at: iso(at),
        at_ms: at,
        shadow: d['shadow'] === true,
        rule_version: typeof d['rule_version'] === 'string' ? d['rule_version'] : null,
        incident_id: typeof d['incident_id'] === 'string' ? d['incident_id'] : null,
      });
    }
    return out;
  }

  /** Incidents of these rules opened in [from, to]. */
  incidents(from: number, to: number, rules: ReadonlySet<string>): RealIncident[] {
    return (
      this.db
        .prepare(
          `SELECT id, rule, severity, title, opened_at, resolved_at FROM incidents
            WHERE opened_at >= ? AND opened_at <= ? ORDER BY opened_at LIMIT ?`
        )
        .all(iso(from), iso(to), MAX_ROWS) as RealIncident[]
    ).filter((i) => rules.has(i.rule));
  }

  /** When the kill switch was engaged in [from, to]. */
  kills(from: number, to: number): RealKill[] {
    return this.events('kill_switch.engaged', from, to).map((e) => {
      const d = JSON.parse(e.data) as Record<string, unknown>;
      return { at: e.ts, actor: e.actor, incident_id: typeof d['incident_id'] === 'string' ? d['incident_id'] : null };
    });
  }
}
