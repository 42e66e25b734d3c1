import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/database';
import { EventsRepository, type StoredEvent } from '../store/events-repository';
import { type LookoutEvent, SEVERITIES } from '../events/event';
import type { EventStreamSource } from '../api/routers/stream-router';

export interface NodeLastEvent {
  node: string;
  id: string;
  ts: string;
  kind: string;
  received_at: string;
}

/**
 * The hub's copy of every node's events (`fleet_events`): the event id is the key, so a message the
 * consumer gets twice (redelivered after a crash between commit and ack) is stored once. Reads go
 * through the same repository as this node's own events, with a node filter.
 */
export class FleetEventsRepository implements EventStreamSource {
  readonly repo: EventsRepository;
  private readonly insertStmt: Statement<unknown[]>;
  private readonly lastPerNodeStmt: Statement<unknown[]>;
  private readonly listeners = new Set<(events: readonly StoredEvent[]) => void>();

  constructor(private readonly db: Db) {
    this.repo = new EventsRepository(db, 'fleet_events');
    this.insertStmt = db.prepare(
      `INSERT OR IGNORE INTO fleet_events (id, ts, node, source, kind, severity, subject, data, trace_id, actor, stream_seq, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
    );
    this.lastPerNodeStmt = db.prepare(
      `SELECT node, id, ts, kind, received_at FROM fleet_events
        WHERE seq IN (SELECT MAX(seq) FROM fleet_events GROUP BY node)`
    );
  }

  /** Stores one event; returns it with its hub sequence, or null when it was stored before. */
  insert(e: LookoutEvent, streamSeq: number, receivedAt: string): StoredEvent | null {
    const info = this.insertStmt.run(
      e.id,
      e.ts,
      e.node,
      e.source,
      e.kind,
      SEVERITIES.indexOf(e.severity),
      e.subject,
      JSON.stringify(e.data),
      e.trace_id,
      e.actor,
      streamSeq,
      receivedAt
    );
    return info.changes === 0 ? null : { ...e, seq: Number(info.lastInsertRowid) };
  }

  /** Runs `fn` in one transaction, then tells listeners about what it stored. */
  batch(fn: (insert: (e: LookoutEvent, streamSeq: number) => StoredEvent | null) => void): StoredEvent[] {
    const stored: StoredEvent[] = [];
    const receivedAt = new Date().toISOString();
    this.db.transaction(() => {
      fn((e, seq) => {
        const s = this.insert(e, seq, receivedAt);
        if (s) stored.push(s);
        return s;
      });
    })();
    if (stored.length) for (const l of this.listeners) l(stored);
    return stored;
  }

  onAppend(listener: (events: readonly StoredEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The newest event the hub holds of each node. */
  lastPerNode(): Map<string, NodeLastEvent> {
    return new Map((this.lastPerNodeStmt.all() as NodeLastEvent[]).map((r) => [r.node, r]));
  }
}
