import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import { type LookoutEvent, SEVERITIES, type Severity } from '../events/event';

interface EventRow {
  seq: number;
  id: string;
  ts: string;
  node: string;
  source: string;
  kind: string;
  severity: number;
  subject: string;
  data: string;
  trace_id: string;
  actor: string | null;
}

export interface StoredEvent extends LookoutEvent {
  seq: number;
}

export interface EventQuery {
  sources?: readonly string[];
  kinds?: readonly string[];
  /** Minimum severity. */
  severity?: Severity;
  since?: string;
  until?: string;
  subject?: string;
  /** Newest first: rows with seq < before. */
  before?: number;
  /** Oldest first: rows with seq > after. */
  after?: number;
  limit: number;
}

function toEvent(r: EventRow): StoredEvent {
  return {
    seq: r.seq,
    id: r.id,
    ts: r.ts,
    node: r.node,
    source: r.source as LookoutEvent['source'],
    kind: r.kind,
    severity: SEVERITIES[r.severity] ?? 'info',
    subject: r.subject,
    data: JSON.parse(r.data) as Record<string, unknown>,
    trace_id: r.trace_id,
    actor: r.actor,
  };
}

/** The append-only event table. Plain objects out; callers own transactions for batches. */
export class EventsRepository {
  private readonly insertStmt;
  private readonly bySeqIdStmt;
  private readonly lastSeqStmt;
  private readonly countStmt;
  private readonly rangeStmt;
  private readonly lastIdStmt;
  /** Statements of `query` by SQL text: its filters combine into a small set of shapes, each prepared once. */
  private readonly queryStmts = new Map<string, Statement<unknown[]>>();

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      'INSERT INTO events (id, ts, node, source, kind, severity, subject, data, trace_id, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
    );
    this.bySeqIdStmt = db.prepare('SELECT seq FROM events WHERE id = ?').pluck();
    this.lastSeqStmt = db.prepare('SELECT COALESCE(MAX(seq), 0) FROM events').pluck();
    this.countStmt = db.prepare('SELECT COUNT(*) FROM events').pluck();
    // Two scalar subqueries: SQLite answers a lone MIN or MAX of the key from the b-tree's edge, but
    // MIN and MAX in one SELECT make it scan every row.
    this.rangeStmt = db.prepare(
      'SELECT (SELECT seq FROM events ORDER BY seq ASC LIMIT 1) AS lo, (SELECT seq FROM events ORDER BY seq DESC LIMIT 1) AS hi'
    );
    this.lastIdStmt = db.prepare('SELECT id FROM events ORDER BY seq DESC LIMIT 1').pluck();
  }

  /** Inserts one event; returns its seq. Must run inside the caller's transaction for batches. */
  insert(e: LookoutEvent, dataJson: string): number {
    const info = this.insertStmt.run(
      e.id,
      e.ts,
      e.node,
      e.source,
      e.kind,
      SEVERITIES.indexOf(e.severity),
      e.subject,
      dataJson,
      e.trace_id,
      e.actor
    );
    return Number(info.lastInsertRowid);
  }

  seqOf(id: string): number | undefined {
    return this.bySeqIdStmt.get(id) as number | undefined;
  }

  lastSeq(): number {
    return this.lastSeqStmt.get() as number;
  }

  count(): number {
    return this.countStmt.get() as number;
  }

  /**
   * Rows held, from the seq range: retention only ever deletes the oldest rows, so the range has no
   * holes and this is exact without a COUNT(*) scan.
   */
  approximateCount(): number {
    const r = this.rangeStmt.get() as { lo: number | null; hi: number | null };
    return r.lo === null || r.hi === null ? 0 : r.hi - r.lo + 1;
  }

  /** Id of the newest event, or null in an empty store. */
  lastId(): string | null {
    return (this.lastIdStmt.get() as string | undefined) ?? null;
  }

  get(id: string): StoredEvent | undefined {
    const row = this.db.prepare('SELECT * FROM events WHERE id = ?').get(id) as EventRow | undefined;
    return row ? toEvent(row) : undefined;
  }

  query(q: EventQuery): StoredEvent[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.sources && q.sources.length) {
      where.push(`source IN (${q.sources.map(() => '?').join(',')})`);
      args.push(...q.sources);
    }
    if (q.kinds && q.kinds.length) {
      // A kind filter ending in `.*` is a prefix match (`incident.*`).
      const parts: string[] = [];
      for (const k of q.kinds) {
        if (k.endsWith('.*')) {
          parts.push("kind LIKE ? ESCAPE '\\'");
          args.push(k.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`) + '%');
        } else {
          parts.push('kind = ?');
          args.push(k);
        }
      }
      where.push(`(${parts.join(' OR ')})`);
    }
    if (q.severity) {
      where.push('severity >= ?');
      args.push(SEVERITIES.indexOf(q.severity));
    }
    if (q.since) {
      where.push('ts >= ?');
      args.push(q.since);
    }
    if (q.until) {
      where.push('ts < ?');
      args.push(q.until);
    }
    if (q.subject) {
      where.push('subject = ?');
      args.push(q.subject);
    }
    let order = 'DESC';
    if (q.after !== undefined) {
      where.push('seq > ?');
      args.push(q.after);
      order = 'ASC';
    } else if (q.before !== undefined) {
      where.push('seq < ?');
      args.push(q.before);
    }
    const sql = `SELECT * FROM events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq ${order} LIMIT ?`;
    args.push(q.limit);
    let stmt = this.queryStmts.get(sql);
    if (!stmt) {
      // Shapes are bounded by the filters' combinations, except the number of sources and kinds: cap it.
      if (this.queryStmts.size >= 256) this.queryStmts.clear();
      stmt = this.db.prepare(sql);
      this.queryStmts.set(sql, stmt);
    }
    return (stmt.all(...args) as EventRow[]).map(toEvent);
  }

  /**
   * Retention: delete by age, then keep at most maxEvents, never past `maxSeq` (the outbox cursor:
   * an event not yet published is never deleted). Returns rows deleted and how many more age or count
   * would have deleted but `maxSeq` kept.
   */
  prune(olderThan: string, maxEvents: number, maxSeq = Number.MAX_SAFE_INTEGER): { deleted: number; held: number } {
    let deleted = this.db.prepare('DELETE FROM events WHERE ts < ? AND seq <= ?').run(olderThan, maxSeq).changes;
    let held = this.db.prepare('SELECT COUNT(*) FROM events WHERE ts < ?').pluck().get(olderThan) as number;
    const total = this.count();
    if (total > maxEvents) {
      const cutoff = this.db
        .prepare('SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET ?')
        .pluck()
        .get(maxEvents - 1) as number | undefined;
      if (cutoff !== undefined) {
        deleted += this.db.prepare('DELETE FROM events WHERE seq < ? AND seq <= ?').run(cutoff, maxSeq).changes;
        held = Math.max(held, this.count() - maxEvents);
      }
    }
    return { deleted, held };
  }

  /** Deletes the oldest `n` events, never past `maxSeq`. Returns rows deleted. */
  deleteOldest(n: number, maxSeq = Number.MAX_SAFE_INTEGER): number {
    const upTo = this.db
      .prepare('SELECT seq FROM events WHERE seq <= ? ORDER BY seq ASC LIMIT 1 OFFSET ?')
      .pluck()
      .get(maxSeq, Math.max(0, n - 1)) as number | undefined;
    const bound = upTo ?? maxSeq;
    return this.db.prepare('DELETE FROM events WHERE seq <= ?').run(Math.min(bound, maxSeq)).changes;
  }
}
