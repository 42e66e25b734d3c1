import {
  type JetStreamClient,
  type JetStreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { type NatsConnection, nanos } from '@nats-io/transport-node';
import type { Db } from '../store/database';
import type { EventsRepository, StoredEvent } from '../store/events-repository';
import type { EventLog } from '../events/event-log';
import type { LookoutEvent } from '../events/event';
import type { Logger } from '../log/logger';
import type { StoreHealth } from '../store/store-health';
import type { NatsBus, NatsConfig } from './nats-bus';
import { encodeJson } from './nats-bus';

/** Where every event is published: `lookout.evt.>` (ARCHITECTURE §4). */
export const EVENT_SUBJECT_PREFIX = 'lookout.evt';

const TOKEN_UNSAFE = /[^A-Za-z0-9_-]/g;

/**
 * `lookout.evt.<node>.<source>.<kind>`: the kind's dots become subject tokens (`incident.opened` →
 * `…guardian.incident.opened`, so `lookout.evt.*.guardian.incident.>` selects a family); any
 * character outside `[A-Za-z0-9_-]` in a token becomes `_` and an empty token becomes `_`, so a kind
 * can never inject wildcards or extra levels.
 */
export function eventSubject(e: Pick<LookoutEvent, 'node' | 'source' | 'kind'>): string {
  return [
    EVENT_SUBJECT_PREFIX,
    subjectToken(e.node),
    subjectToken(e.source),
    ...e.kind.split('.').map(subjectToken),
  ].join('.');
}

const subjectToken = (s: string): string => s.replace(TOKEN_UNSAFE, '_') || '_';

/** Every subject one node publishes its events on: `lookout.evt.<node>.>`. */
export function nodeEventFilter(node: string): string {
  return `${EVENT_SUBJECT_PREFIX}.${subjectToken(node)}.>`;
}

/** The wire envelope: the stored event without its local sequence number. */
export function eventEnvelope(e: StoredEvent): LookoutEvent {
  const { seq: _seq, ...envelope } = e;
  return envelope;
}

export interface SubjectMapping {
  kind: string;
  source?: string | undefined;
  subject: string;
  payload: 'data' | 'envelope';
}

/** Extra subjects for events: from `nats.subject_map` and from activity rules that name a subject. */
export class SubjectMap {
  constructor(
    private readonly node: string,
    private readonly mappings: readonly SubjectMapping[]
  ) {}

  /** Extra (subject, payload) pairs for one event. */
  targets(e: StoredEvent): { subject: string; payload: unknown }[] {
    const out: { subject: string; payload: unknown }[] = [];
    const seen = new Set<string>();
    const add = (subject: string, mode: 'data' | 'envelope'): void => {
      const s = subject.replace(/\{node\}/g, this.node);
      if (seen.has(s)) return;
      seen.add(s);
      out.push({ subject: s, payload: mode === 'envelope' ? eventEnvelope(e) : classicPayload(e) });
    };
    for (const m of this.mappings) {
      if (m.source && m.source !== e.source) continue;
      const match = m.kind.endsWith('.*') ? e.kind.startsWith(m.kind.slice(0, -1)) : m.kind === e.kind;
      if (match) add(m.subject, m.payload);
    }
    // The watcher records the subject of a matching activity rule (watch.activity_rules[].subject).
    const ruleSubject = e.data['nats_subject'];
    if (e.source === 'watcher' && typeof ruleSubject === 'string' && ruleSubject) add(ruleSubject, 'data');
    return out;
  }

  get size(): number {
    return this.mappings.length;
  }
}

/** The classic activity publisher's message: the payload fields plus timestamp, trace_id and file_path. */
function classicPayload(e: StoredEvent): Record<string, unknown> {
  const { class: _class, nats_subject: _subject, ...rest } = e.data;
  return { ...rest, timestamp: typeof rest['timestamp'] === 'string' ? rest['timestamp'] : e.ts, trace_id: e.trace_id };
}

export type OutboxErrorKind =
  'publish_timeout' | 'publish_failed' | 'stream_setup' | 'stream_check' | 'reordered' | 'pruned_unpublished';

export interface OutboxHooks {
  published(n: number): void;
  /** Events found already on the stream (a crash or a lost ack) and not published again. */
  found(n: number): void;
  error(kind: OutboxErrorKind): void;
}

/** The stream could not be created or brought up to date (for example, JetStream is not enabled). */
export class StreamSetupError extends Error {
  override name = 'StreamSetupError';
}

interface CursorRow {
  last_seq: number;
  last_id: string | null;
  published: number;
  /** Our messages for events after `last_seq` can only be at stream sequences above this; null: unknown. */
  last_stream_seq: number | null;
}

/** What became of one event of a batch: acknowledged (new or a duplicate), or found already stored. */
interface Ack {
  seq: number;
  /** Counted as published: new to the stream, or found there after a crash or a lost ack. */
  fresh: boolean;
  found: boolean;
}

/**
 * Publishes committed events from SQLite to JetStream, in seq order. The cursor (last published seq,
 * and the stream sequence JetStream gave it) lives in SQLite and moves only past events JetStream
 * acknowledged. Up to `outbox_max_in_flight` publishes are pipelined; the client sends them in order
 * on one connection, so the stream holds one node's events in order.
 *
 * Exactly once: a publish whose acknowledgement never came (a timeout, a dropped connection, a crash
 * of the sidecar before it recorded the ack, a store that could not write the cursor) may still have
 * been stored. Before publishing again after any of these — and at every start and reconnect — the
 * outbox reads its own messages on the stream after the recorded stream sequence and treats the
 * events it finds there as published. So a resend never stores an event twice, however long the
 * outage: the stream's duplicate window (`Nats-Msg-Id` = event id) only has to cover the moment
 * between that check and the resend. The one case that can reorder — a message lost in a dropped
 * connection while later ones were still buffered for the reconnect — is detected from the stream
 * sequences and counted (`lookout_bus_errors_total{kind="reordered"}`); consumers needing a strict
 * order sort by `id` (a ULID).
 */
export class OutboxPublisher {
  private cursor: CursorRow;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private pendingWake = false;
  private unsubscribe: (() => void)[] = [];
  private js: JetStreamClient | null = null;
  private jsm: JetStreamManager | null = null;
  private streamEpoch = -1;
  /** The stream must be checked for our unacknowledged messages before the next publish. */
  private verify = true;
  /** Events after the cursor found already on the stream (id → stream sequence): not published again. */
  private onStream = new Map<string, number>();
  private checkUnsupported = false;
  private lastStreamSeq = 0;
  private failures = 0;
  private loggedKinds = new Set<string>();
  lastPublishAt: Date | null = null;
  lastError: string | null = null;

  private readonly readCursor;
  private readonly writeCursor;
  private readonly writeWatermark;

  constructor(
    private readonly deps: {
      db: Db;
      events: EventLog;
      bus: NatsBus;
      cfg: NatsConfig;
      subjectMap: SubjectMap;
      log: Logger;
      hooks: OutboxHooks;
      /** This sidecar's node: its events are the stream's `lookout.evt.<node>.>`. */
      node: string;
      health?: StoreHealth;
    }
  ) {
    const { db, cfg } = deps;
    // A new cursor's stream sequence is unknown (NULL) until the first connect records the stream's end.
    db.prepare(
      'INSERT OR IGNORE INTO bus_outbox (stream, last_seq, last_id, published, updated_at, last_stream_seq) VALUES (?, 0, NULL, 0, ?, NULL)'
    ).run(cfg.stream, new Date().toISOString());
    this.readCursor = db.prepare(
      'SELECT last_seq, last_id, published, last_stream_seq FROM bus_outbox WHERE stream = ?'
    );
    this.writeCursor = db.prepare(
      'UPDATE bus_outbox SET last_seq = ?, last_id = ?, published = published + ?, last_stream_seq = ?, updated_at = ? WHERE stream = ?'
    );
    this.writeWatermark = db.prepare('UPDATE bus_outbox SET last_stream_seq = ?, updated_at = ? WHERE stream = ?');
    this.cursor = this.readCursor.get(cfg.stream) as CursorRow;
  }

  private get repo(): EventsRepository {
    return this.deps.events.repo;
  }

  /** Events committed but not yet acknowledged by JetStream. */
  pending(): number {
    return Math.max(0, this.repo.lastSeq() - this.cursor.last_seq);
  }

  cursorSeq(): number {
    return this.cursor.last_seq;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe.push(this.deps.events.onAppend(() => this.poke()));
    this.unsubscribe.push(this.deps.bus.onEvent(() => this.poke()));
    this.loop = this.run();
  }

  /** Stops after the batch in flight settles; whatever is left stays in the outbox for the next start. */
  async stop(): Promise<void> {
    this.running = false;
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.poke();
    await this.loop;
  }

  private poke(): void {
    this.pendingWake = true;
    this.wake?.();
  }

  private async idle(ms: number): Promise<void> {
    if (this.pendingWake) {
      this.pendingWake = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wake = done;
    });
    this.pendingWake = false;
  }

  private logOnce(kind: string, err: unknown, msg: string): void {
    if (this.loggedKinds.has(kind)) this.deps.log.debug({ err }, msg);
    else {
      this.loggedKinds.add(kind);
      this.deps.log.warn({ err }, msg);
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      let wait: number;
      try {
        wait = await this.round();
      } catch (err) {
        // Most likely the cursor could not be written (a full disk, a read-only folder): JetStream may
        // now be ahead of it, so the stream is checked before anything is published again.
        this.verify = true;
        this.lastError = (err as Error).message;
        if (!this.deps.health?.report(err, 'outbox')) this.logOnce('round', err, 'outbox round failed; retrying');
        wait = this.backoff();
      }
      if (wait > 0) await this.idle(wait);
    }
  }

  /** One step of the loop; returns how long to wait before the next (0: go on at once). */
  private async round(): Promise<number> {
    const nc = this.deps.bus.connection();
    if (!nc) return 1000;
    // While the store cannot write, no cursor can be recorded: publishing would only widen what the
    // next check has to read.
    if (this.deps.health?.writesFailing()) return 1000;
    if (this.streamEpoch !== this.deps.bus.epoch || !this.js) {
      try {
        await this.setup(nc);
      } catch (err) {
        this.lastError = (err as Error).message;
        this.deps.hooks.error('stream_setup');
        this.logOnce('stream_setup', err, 'cannot set up the JetStream stream; retrying');
        return this.backoff();
      }
      this.verify = true;
    }
    if (this.verify) {
      try {
        await this.checkStream();
      } catch (err) {
        this.lastError = (err as Error).message;
        this.deps.hooks.error('stream_check');
        if (err instanceof JetStreamApiError) {
          // The server refuses the lookup (permissions, an old server): only the duplicate window guards
          // the resends now. Said once; a timeout or a lost connection is retried instead.
          this.checkUnsupported = true;
          this.verify = false;
          this.deps.log.warn(
            { err },
            'cannot read the stream before resending: a resend after the duplicate window may be stored twice'
          );
        } else {
          this.logOnce('stream_check', err, 'cannot check the stream for unacknowledged events; retrying');
          return this.backoff();
        }
      }
    }
    const batch = this.repo.query({ after: this.cursor.last_seq, limit: this.deps.cfg.outbox_batch });
    if (!batch.length) return 1000;
    if (batch[0]!.seq > this.cursor.last_seq + 1 && this.cursor.last_seq > 0) {
      // Events were deleted before they were published (an older build's retention, or a new stream name).
      this.deps.hooks.error('pruned_unpublished');
      this.logOnce('pruned', null, 'events were deleted by retention before they were published');
    }
    const ok = await this.publishBatch(this.js!, batch);
    // A full batch may have more behind it: go on at once. A short one was everything there was; an
    // append since then has poked the loop, so the wait ends at once for it — no empty read after each batch.
    if (ok) return batch.length >= this.deps.cfg.outbox_batch ? 0 : 1000;
    this.verify = true;
    return this.backoff();
  }

  /**
   * Reads this node's messages on the stream after the recorded stream sequence and remembers the
   * events among them that the cursor has not passed: they are on the stream already and are
   * committed without publishing them again. The first time (no sequence recorded yet) it records the
   * stream's end instead: nothing of ours past the cursor can be there before our first publish.
   */
  private async checkStream(): Promise<void> {
    if (this.checkUnsupported) {
      this.verify = false;
      return;
    }
    const { cfg } = this.deps;
    const jsm = this.jsm!;
    const info = await jsm.streams.info(cfg.stream);
    const end = info.state.last_seq;
    const from = this.cursor.last_stream_seq;
    if (from === null || from > end) {
      if (from !== null) {
        this.deps.log.warn(
          { stream: cfg.stream, recorded: from, stream_last_seq: end },
          'the stream ends before the sequence it acknowledged: it was recreated or lost messages'
        );
      }
      this.recordWatermark(end);
      this.onStream.clear();
      this.verify = false;
      return;
    }
    const found = new Map<string, number>();
    const filter = nodeEventFilter(this.deps.node);
    for (let seq = from + 1; seq <= end;) {
      // next_by_subj (NATS 2.9+): the first message at or after `seq` on one of our subjects.
      const m = await jsm.streams.getMessage(cfg.stream, { seq, next_by_subj: filter } as unknown as { seq: number });
      if (!m || m.seq > end) break;
      const id = m.header?.get('Nats-Msg-Id') || idOf(m.data);
      if (id) {
        const local = this.repo.seqOf(id);
        if (local !== undefined && local > this.cursor.last_seq) found.set(id, m.seq);
      }
      seq = m.seq + 1;
    }
    this.onStream = found;
    this.verify = false;
    if (found.size) {
      this.deps.log.info(
        { found: found.size, stream: cfg.stream },
        'events already on the stream from before a crash or a lost ack: not publishing them again'
      );
    }
  }

  private recordWatermark(streamSeq: number): void {
    this.writeWatermark.run(streamSeq, new Date().toISOString(), this.deps.cfg.stream);
    this.cursor = { ...this.cursor, last_stream_seq: streamSeq };
  }

  private backoff(): number {
    this.failures++;
    return Math.min(5000, 100 * 2 ** Math.min(this.failures, 6)) + Math.floor(Math.random() * 100);
  }

  /** Creates the stream, or adds `lookout.evt.>` and the configured limits to an existing one. */
  private async setup(nc: NatsConnection): Promise<void> {
    const { cfg } = this.deps;
    const epoch = this.deps.bus.epoch;
    const jsm = await jetstreamManager(nc, { timeout: cfg.publish_timeout_ms });
    const subject = `${EVENT_SUBJECT_PREFIX}.>`;
    const limits = {
      max_age: nanos(cfg.stream_max_age_days * 86_400_000),
      duplicate_window: nanos(cfg.duplicate_window_s * 1000),
    };
    try {
      const info = await jsm.streams.info(cfg.stream);
      const subjects = info.config.subjects ?? [];
      const needsSubject = !subjects.includes(subject);
      const differs =
        info.config.max_age !== limits.max_age || info.config.duplicate_window !== limits.duplicate_window;
      if (needsSubject || differs) {
        await jsm.streams.update(cfg.stream, {
          subjects: needsSubject ? [...subjects, subject] : subjects,
          ...limits,
        });
        this.deps.log.info({ stream: cfg.stream }, 'jetstream stream updated');
      }
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) {
        throw new StreamSetupError(`stream ${cfg.stream}: ${(err as Error).message}`, { cause: err });
      }
      try {
        await jsm.streams.add({
          name: cfg.stream,
          subjects: [subject],
          retention: RetentionPolicy.Limits,
          storage: StorageType.File,
          num_replicas: cfg.stream_replicas,
          ...limits,
        });
      } catch (addErr) {
        // Another sidecar of the fleet may have created it a moment ago; the next round updates it.
        throw new StreamSetupError(`stream ${cfg.stream}: ${(addErr as Error).message}`, { cause: addErr });
      }
      this.deps.log.info({ stream: cfg.stream }, 'jetstream stream created');
    }
    this.js = jetstream(nc, { timeout: cfg.publish_timeout_ms });
    this.jsm = jsm;
    this.streamEpoch = epoch;
  }

  /** Publishes one batch with bounded pipelining; true when all of it was acknowledged. */
  private async publishBatch(js: JetStreamClient, batch: StoredEvent[]): Promise<boolean> {
    const { cfg } = this.deps;
    const acks: (Ack | Error | undefined)[] = new Array(batch.length);
    const inFlight = new Set<Promise<void>>();
    let failed = false;
    for (let i = 0; i < batch.length && !failed && this.running; i++) {
      const e = batch[i]!;
      const stored = this.onStream.get(e.id);
      if (stored !== undefined) {
        acks[i] = { seq: stored, fresh: true, found: true };
        continue;
      }
      while (inFlight.size >= cfg.outbox_max_in_flight) await Promise.race(inFlight);
      if (failed) break;
      const idx = i;
      const p: Promise<void> = js
        .publish(eventSubject(e), encodeJson(eventEnvelope(e)), {
          msgID: e.id,
          timeout: cfg.publish_timeout_ms,
          retries: 1,
        })
        .then(
          (ack) => {
            acks[idx] = { seq: ack.seq, fresh: !ack.duplicate, found: false };
          },
          (err: unknown) => {
            acks[idx] = err instanceof Error ? err : new Error(String(err));
            failed = true;
          }
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
    let n = 0;
    let fresh = 0;
    let found = 0;
    let maxSeq = 0;
    for (; n < batch.length; n++) {
      const a = acks[n];
      if (!a || a instanceof Error) break;
      if (a.fresh) fresh++;
      if (a.found) found++;
      if (!a.found && a.fresh && a.seq < this.lastStreamSeq) {
        this.deps.hooks.error('reordered');
        this.logOnce(
          'reordered',
          null,
          'an event reached the stream after a later one (lost in a reconnect, then resent)'
        );
      }
      if (!a.found) this.lastStreamSeq = Math.max(this.lastStreamSeq, a.seq);
      maxSeq = Math.max(maxSeq, a.seq);
    }
    if (n > 0) this.commit(batch.slice(0, n), fresh, found, maxSeq);
    if (n === batch.length) {
      this.failures = 0;
      return true;
    }
    const err = acks[n];
    if (err instanceof Error) {
      const timeout = /timeout|timed out/i.test(err.message) || err.name === 'TimeoutError';
      this.deps.hooks.error(timeout ? 'publish_timeout' : 'publish_failed');
      this.lastError = err.message;
      this.logOnce(
        timeout ? 'timeout' : 'failed',
        err,
        'jetstream publish not acknowledged; checking the stream, then resending from the outbox cursor'
      );
    }
    return false;
  }

  private commit(events: StoredEvent[], fresh: number, found: number, maxSeq: number): void {
    const last = events[events.length - 1]!;
    for (const e of events) this.onStream.delete(e.id);
    // Found events not yet passed sit below maxSeq: keep the recorded sequence under them, so a check
    // after a crash still reads them.
    let watermark = maxSeq;
    for (const seq of this.onStream.values()) watermark = Math.min(watermark, seq - 1);
    this.writeCursor.run(last.seq, last.id, fresh, watermark, new Date().toISOString(), this.deps.cfg.stream);
    this.cursor = {
      last_seq: last.seq,
      last_id: last.id,
      published: this.cursor.published + fresh,
      last_stream_seq: watermark,
    };
    this.lastPublishAt = new Date();
    this.deps.hooks.published(fresh);
    if (found) this.deps.hooks.found(found);
    if (this.deps.subjectMap.size === 0 && !events.some((e) => e.source === 'watcher')) return;
    const nc = this.deps.bus.connection();
    if (!nc) return;
    // Extra subjects are core NATS (the classic consumers' topics): best effort, after the stream has the event.
    for (const e of events) {
      for (const t of this.deps.subjectMap.targets(e)) {
        try {
          nc.publish(t.subject, encodeJson(t.payload));
        } catch (err) {
          this.deps.hooks.error('publish_failed');
          this.logOnce('mapped', err, `cannot publish on mapped subject ${t.subject}`);
        }
      }
    }
  }
}

/** The event id in a stored message's JSON body (a message published without a Nats-Msg-Id header). */
function idOf(data: Uint8Array): string | null {
  try {
    const v = JSON.parse(new TextDecoder().decode(data)) as { id?: unknown };
    return typeof v.id === 'string' ? v.id : null;
  } catch {
    return null;
  }
}
