import { monotonicFactory } from 'ulid';
import { randomBytes } from 'node:crypto';
import type { Db } from '../store/database';
import { EventsRepository, type EventQuery, type StoredEvent } from '../store/events-repository';
import type { CoreMetrics } from '../metrics/core-metrics';
import type { Logger } from '../log/logger';
import { type EventInput, type LookoutEvent, lookoutEventSchema } from './event';

export type EventListener = (events: readonly StoredEvent[]) => void;

export class EventRejectedError extends Error {
  override name = 'EventRejectedError';
}

/**
 * The one ingest path: validate → commit to SQLite → count → tell listeners (SSE, outbox,
 * guardian). A call returns only after the commit, so whatever the API returns is durable.
 */
export class EventLog {
  readonly repo: EventsRepository;
  private readonly listeners = new Set<EventListener>();
  private readonly ulid = monotonicFactory();

  constructor(
    private readonly db: Db,
    private readonly node: string,
    private readonly metrics: CoreMetrics,
    private readonly log: Logger
  ) {
    this.repo = new EventsRepository(db);
  }

  newId(): string {
    return this.ulid();
  }

  static newTraceId(): string {
    return randomBytes(16).toString('hex');
  }

  private build(input: EventInput): LookoutEvent {
    const candidate = {
      id: this.ulid(),
      ts: input.ts ?? new Date().toISOString(),
      node: this.node,
      source: input.source,
      kind: input.kind,
      severity: input.severity ?? 'info',
      subject: input.subject ?? '',
      data: input.data ?? {},
      trace_id: input.trace_id ?? EventLog.newTraceId(),
      actor: input.actor ?? null,
    };
    const parsed = lookoutEventSchema.safeParse(candidate);
    if (!parsed.success) {
      this.metrics.eventsRejected.inc({ source: String(input.source) });
      const where = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new EventRejectedError(`event rejected: ${where}`);
    }
    return parsed.data;
  }

  append(input: EventInput): StoredEvent {
    return this.appendMany([input])[0]!;
  }

  /**
   * Commits a batch in one transaction. An invalid input rejects the whole batch before
   * anything is written (EventRejectedError); nothing stored is touched.
   */
  appendMany(inputs: readonly EventInput[]): StoredEvent[] {
    if (!inputs.length) return [];
    const events = inputs.map((i) => this.build(i));
    const end = this.metrics.storeWriteSeconds.startTimer();
    const stored = this.db.transaction(() =>
      events.map((e) => ({ ...e, seq: this.repo.insert(e, JSON.stringify(e.data)) }))
    )();
    end();
    // One counter update per label pair, not per event: bursts of thousands are common.
    const counts = new Map<string, number>();
    for (const e of stored) {
      const k = `${e.source}\u0000${e.severity}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    for (const [k, n] of counts) {
      const [source, severity] = k.split('\u0000') as [string, string];
      this.metrics.eventsIngested.inc({ source, severity }, n);
    }
    for (const l of this.listeners) {
      try {
        l(stored);
      } catch (err) {
        this.log.error({ err }, 'event listener failed');
      }
    }
    return stored;
  }

  /** Called after every committed batch, synchronously; keep it cheap. Returns unsubscribe. */
  onAppend(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  query(q: EventQuery): StoredEvent[] {
    return this.repo.query(q);
  }
}
