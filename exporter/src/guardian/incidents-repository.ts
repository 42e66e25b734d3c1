import type { Db } from '../store/database';

export const INCIDENT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
export type IncidentSeverity = 'warning' | 'critical';

export interface Incident {
  seq: number;
  id: string;
  rule: string;
  node: string;
  severity: IncidentSeverity;
  title: string;
  status: IncidentStatus;
  data: Record<string, unknown>;
  opened_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  ack_note: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  resolve_note: string | null;
}

type Row = Omit<Incident, 'data'> & { data: string };
const toIncident = (r: Row): Incident => ({ ...r, data: JSON.parse(r.data) as Record<string, unknown> });

export interface IncidentQuery {
  status?: IncidentStatus[];
  severity?: IncidentSeverity;
  rule?: string;
  before?: number;
  limit: number;
}

export class IncidentsRepository {
  // Read on every /metrics scrape and status build.
  private readonly openCountsStmt;

  constructor(private readonly db: Db) {
    this.openCountsStmt = db.prepare(
      "SELECT severity, COUNT(*) AS n FROM incidents WHERE status != 'resolved' GROUP BY severity"
    );
  }

  insert(i: Omit<Incident, 'seq'>): Incident {
    const info = this.db
      .prepare(
        `INSERT INTO incidents (id, rule, node, severity, title, status, data, opened_at, acknowledged_at, acknowledged_by,
           ack_note, resolved_at, resolved_by, resolve_note)
         VALUES (@id, @rule, @node, @severity, @title, @status, @data, @opened_at, @acknowledged_at, @acknowledged_by,
           @ack_note, @resolved_at, @resolved_by, @resolve_note)`
      )
      .run({ ...i, data: JSON.stringify(i.data) });
    return { ...i, seq: Number(info.lastInsertRowid) };
  }

  get(id: string): Incident | undefined {
    const r = this.db.prepare('SELECT * FROM incidents WHERE id = ?').get(id) as Row | undefined;
    return r ? toIncident(r) : undefined;
  }

  /** The incident of a rule that is not yet resolved, if any. */
  openForRule(rule: string): Incident | undefined {
    const r = this.db
      .prepare("SELECT * FROM incidents WHERE rule = ? AND status != 'resolved' ORDER BY seq DESC LIMIT 1")
      .get(rule) as Row | undefined;
    return r ? toIncident(r) : undefined;
  }

  update(
    id: string,
    fields: Partial<
      Pick<
        Incident,
        'status' | 'acknowledged_at' | 'acknowledged_by' | 'ack_note' | 'resolved_at' | 'resolved_by' | 'resolve_note'
      >
    >
  ): void {
    const keys = Object.keys(fields);
    if (!keys.length) return;
    this.db
      .prepare(`UPDATE incidents SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`)
      .run({ ...fields, id });
  }

  setData(id: string, data: Record<string, unknown>): void {
    this.db.prepare('UPDATE incidents SET data = ? WHERE id = ?').run(JSON.stringify(data), id);
  }

  query(q: IncidentQuery): Incident[] {
    const where: string[] = [];
    const args: Record<string, unknown> = { limit: q.limit };
    if (q.status?.length) {
      where.push(`status IN (${q.status.map((_, i) => `@s${i}`).join(', ')})`);
      q.status.forEach((s, i) => (args[`s${i}`] = s));
    }
    if (q.severity) {
      where.push('severity = @severity');
      args.severity = q.severity;
    }
    if (q.rule) {
      where.push('rule = @rule');
      args.rule = q.rule;
    }
    if (q.before !== undefined) {
      where.push('seq < @before');
      args.before = q.before;
    }
    const rows = this.db
      .prepare(
        `SELECT * FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT @limit`
      )
      .all(args) as Row[];
    return rows.map(toIncident);
  }

  openCounts(): Record<IncidentSeverity, number> {
    const out: Record<IncidentSeverity, number> = { warning: 0, critical: 0 };
    const rows = this.openCountsStmt.all() as { severity: IncidentSeverity; n: number }[];
    for (const r of rows) out[r.severity] = r.n;
    return out;
  }

  /** Critical incidents whose life overlaps [from, to) (to null = now). */
  criticalOverlapping(from: string, to: string | null): number {
    const row = this.db
      .prepare(
        `SELECT COUNT(*) AS n FROM incidents WHERE severity = 'critical' AND opened_at < @to
           AND (resolved_at IS NULL OR resolved_at > @from)`
      )
      .get({ from, to: to ?? '9999-12-31T23:59:59.999Z' }) as { n: number };
    return row.n;
  }
}
