import { monotonicFactory } from 'ulid';
import { randomFillSync } from 'node:crypto';
import type { Db } from '../store/database';
import { EventsRepository, type EventQuery, type StoredEvent } from '../store/events-repository';
import type { CoreMetrics } from '../metrics/core-metrics';
import type { Logger } from '../log/logger';
import { type StoreHealth, StoreUnavailableError } from '../store/store-health';
import { EVENT_SOURCES, type EventInput, type LookoutEvent, SEVERITIES } from './event';

export type EventListener = (events: readonly StoredEvent[]) => void;

export class EventRejectedError extends Error {
  override name = 'EventRejectedError';
}

const SOURCES = new Set<string>(EVENT_SOURCES);
const SEVERITY_SET = new Set<string>(SEVERITIES);

/**
 * Random bytes for trace ids and event ids, drawn 4 KiB at a time: one `randomFillSync` per 256 trace
 * ids instead of one `randomBytes` (a fresh Buffer and a call into the CSPRNG) per event.
 */
const RANDOM_POOL = Buffer.alloc(4096);
let randomPoolOffset = RANDOM_POOL.length;

function randomFromPool(n: number): number {
  if (randomPoolOffset + n > RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    randomPoolOffset = 0;
  }
  const at = randomPoolOffset;
  randomPoolOffset += n;
  return at;
}

function newTraceId(): string {
  const at = randomFromPool(16);
  return RANDOM_POOL.toString('hex', at, at + 16);
}

/**
 * The ULIDs' randomness, from the same pool. ulid's default source calls WebCrypto's
 * `getRandomValues` once per character (16 calls per id); this is one byte of the pool per character,
 * still from the CSPRNG. A byte / 256 picks one of ulid's 32 characters uniformly.
 */
const ulidRandom = (): number => RANDOM_POOL[randomFromPool(1)]! / 256;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What is wrong with the fields a producer supplied (the envelope schema's rules for them), or
 * null. The log fills in id, node and the defaults itself, so only these can be wrong; checking
 * them directly costs a fraction of parsing the whole envelope, which also copied `data`.
 */
export function inputProblems(input: EventInput): string | null {
  const problems: string[] = [];
  if (!SOURCES.has(input.source as string)) problems.push(`source: must be one of ${EVENT_SOURCES.join(', ')}`);
  if (typeof input.kind !== 'string') problems.push('kind: expected a string');
  if (input.severity !== undefined && !SEVERITY_SET.has(input.severity as string))
    problems.push(`severity: must be one of ${SEVERITIES.join(', ')}`);
  if (input.subject !== undefined && typeof input.subject !== 'string') problems.push('subject: expected a string');
  if (input.data !== undefined && !isPlainObject(input.data)) problems.push('data: expected an object');
  if (input.ts !== undefined && typeof input.ts !== 'string') problems.push('ts: expected a string');
  if (input.trace_id !== undefined && typeof input.trace_id !== 'string') problems.push('trace_id: expected a string');
  if (input.actor !== undefined && input.actor !== null && typeof input.actor !== 'string')
    problems.push('actor: expected a string or null');
  return problems.length ? problems.join('; ') : null;
}

/**
 * The one ingest path: validate → commit to SQLite → count → tell listeners (SSE, outbox,
 * guardian). A call returns only after the commit, so whatever the API returns is durable.
 * While the store cannot write (StoreHealth), appends are refused with StoreUnavailableError
 * before anything is attempted; a write that fails for lack of space or on a read-only folder is
 * reported to StoreHealth and refused the same way.
 */
export class EventLog {
  readonly repo: EventsRepository;
  private readonly listeners = new Set<EventListener>();
  private readonly ulid = monotonicFactory(ulidRandom);
  /** Batches appended inside `transaction()`, counted and announced once it commits. */
  private deferred: StoredEvent[][] | null = null;

  constructor(
    private readonly db: Db,
    private readonly node: string,
    private readonly metrics: CoreMetrics,
    private readonly log: Logger,
    private readonly health?: StoreHealth
  ) {
    this.repo = new EventsRepository(db);
  }

  /** Throws StoreUnavailableError when events of this source cannot be stored now. */
  assertAccepts(source: string): void {
    this.health?.assertAccepts(source);
  }

  /**
   * Runs `fn` in one transaction with the events it appends: they, and whatever else `fn` writes,
   * commit together or not at all, and listeners hear of them only after the commit. The watcher
   * commits a file's events and its "ingested" mark this way, so a crash cannot leave one without
   * the other (an event twice after the restart's scan, or a file never ingested).
   */
  transaction<T>(fn: () => T): T {
    if (this.deferred) return fn();
    this.deferred = [];
    let result: T;
    let batches: StoredEvent[][];
    try {
      result = this.db.transaction(fn)();
    } catch (err) {
      if (!(err instanceof StoreUnavailableError) && this.health?.report(err, 'transaction'))
        throw this.health.unavailable(err);
      throw err;
    } finally {
      batches = this.deferred;
      this.deferred = null;
    }
    for (const b of batches) this.announce(b);
    return result;
  }

  newId(): string {
    return this.ulid();
  }

  static newTraceId(): string {
    return newTraceId();
  }

  /** The envelope for one input; `now` is the batch's one timestamp for inputs without their own. */
  private build(input: EventInput, now: string): LookoutEvent {
    const problems = inputProblems(input);
    if (problems) {
      this.metrics.eventsRejected.inc({ source: String(input.source) });
      throw new EventRejectedError(`event rejected: ${problems}`);
    }
    return {
      id: this.ulid(),
      ts: input.ts ?? now,
      node: this.node,
      source: input.source,
      kind: input.kind,
      severity: input.severity ?? 'info',
      subject: input.subject ?? '',
      data: input.data ?? {},
      trace_id: input.trace_id ?? newTraceId(),
      actor: input.actor ?? null,
    };
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
    if (this.health?.ingestPaused()) for (const i of inputs) this.health.assertAccepts(String(i.source));
    const now = new Date().toISOString();
    const events = inputs.map((i) => this.build(i, now));
    const end = this.metrics.storeWriteSeconds.startTimer();
    let stored: StoredEvent[];
    try {
      stored = this.db.transaction(() =>
        events.map((e) => ({ ...e, seq: this.repo.insert(e, JSON.stringify(e.data)) }))
      )();
    } catch (err) {
      if (this.health?.report(err, 'events')) throw this.health.unavailable(err);
      throw err;
    }
    end();
    if (this.deferred) this.deferred.push(stored);
    else this.announce(stored);
    return stored;
  }

  /** Counts a committed batch and tells the listeners. */
  private announce(stored: StoredEvent[]): void {
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
