import {
  type JetStreamClient,
  type PubAck,
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
  const tok = (s: string): string => s.replace(TOKEN_UNSAFE, '_') || '_';
  return [EVENT_SUBJECT_PREFIX, tok(e.node), tok(e.source), ...e.kind.split('.').map(tok)].join('.');
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

export interface OutboxHooks {
  published(n: number): void;
  error(kind: 'publish_timeout' | 'publish_failed' | 'stream_setup' | 'reordered' | 'pruned_unpublished'): void;
}

/** The stream could not be created or brought up to date (for example, JetStream is not enabled). */
export class StreamSetupError extends Error {
  override name = 'StreamSetupError';
}

interface CursorRow {
  last_seq: number;
  last_id: string | null;
  published: number;
}

/**
 * Publishes committed events from SQLite to JetStream, in seq order. The cursor (last published seq)
 * lives in SQLite and moves only past events JetStream acknowledged; a timeout or an outage makes
 * the publisher resend from the cursor with the same `Nats-Msg-Id` (the event id), which the
 * stream's duplicate window stores once. Up to `outbox_max_in_flight` publishes are pipelined; the
 * client sends them in order on one connection, so the stream holds one node's events in order.
 * The one case that can reorder — a message lost in a dropped connection while later ones were
 * still buffered for the reconnect — is detected from the stream sequences and counted
 * (`lookout_bus_errors_total{kind="reordered"}`); consumers needing a strict order sort by `id` (a ULID).
 */
export class OutboxPublisher {
  private cursor: CursorRow;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private pendingWake = false;
  private unsubscribe: (() => void)[] = [];
  private js: JetStreamClient | null = null;
  private streamEpoch = -1;
  private lastStreamSeq = 0;
  private failures = 0;
  private loggedKinds = new Set<string>();
  lastPublishAt: Date | null = null;
  lastError: string | null = null;

  private readonly readCursor;
  private readonly writeCursor;

  constructor(
    private readonly deps: {
      db: Db;
      events: EventLog;
      bus: NatsBus;
      cfg: NatsConfig;
      subjectMap: SubjectMap;
      log: Logger;
      hooks: OutboxHooks;
    }
  ) {
    const { db, cfg } = deps;
    db.prepare(
      'INSERT OR IGNORE INTO bus_outbox (stream, last_seq, last_id, published, updated_at) VALUES (?, 0, NULL, 0, ?)'
    ).run(cfg.stream, new Date().toISOString());
    this.readCursor = db.prepare('SELECT last_seq, last_id, published FROM bus_outbox WHERE stream = ?');
    this.writeCursor = db.prepare(
      'UPDATE bus_outbox SET last_seq = ?, last_id = ?, published = published + ?, updated_at = ? WHERE stream = ?'
    );
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
      const nc = this.deps.bus.connection();
      if (!nc) {
        await this.idle(1000);
        continue;
      }
      try {
        if (this.streamEpoch !== this.deps.bus.epoch || !this.js) await this.setup(nc);
      } catch (err) {
        this.lastError = (err as Error).message;
        this.deps.hooks.error('stream_setup');
        this.logOnce('stream_setup', err, 'cannot set up the JetStream stream; retrying');
        await this.idle(this.backoff());
        continue;
      }
      const batch = this.repo.query({ after: this.cursor.last_seq, limit: this.deps.cfg.outbox_batch });
      if (!batch.length) {
        await this.idle(1000);
        continue;
      }
      if (batch[0]!.seq > this.cursor.last_seq + 1 && this.cursor.last_seq > 0) {
        // Retention deleted events before they were published (an outage longer than retention).
        this.deps.hooks.error('pruned_unpublished');
        this.logOnce('pruned', null, 'events were deleted by retention before they were published');
      }
      const ok = await this.publishBatch(this.js!, batch);
      if (!ok) await this.idle(this.backoff());
    }
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
    this.streamEpoch = epoch;
  }

  /** Publishes one batch with bounded pipelining; true when all of it was acknowledged. */
  private async publishBatch(js: JetStreamClient, batch: StoredEvent[]): Promise<boolean> {
    const { cfg } = this.deps;
    const acks: (PubAck | Error | undefined)[] = new Array(batch.length);
    const inFlight = new Set<Promise<void>>();
    let failed = false;
    for (let i = 0; i < batch.length && !failed && this.running; i++) {
      while (inFlight.size >= cfg.outbox_max_in_flight) await Promise.race(inFlight);
      if (failed) break;
      const e = batch[i]!;
      const idx = i;
      const p: Promise<void> = js
        .publish(eventSubject(e), encodeJson(eventEnvelope(e)), {
          msgID: e.id,
          timeout: cfg.publish_timeout_ms,
          retries: 1,
        })
        .then(
          (ack) => {
            acks[idx] = ack;
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
    for (; n < batch.length; n++) {
      const a = acks[n];
      if (!a || a instanceof Error) break;
      if (!a.duplicate) fresh++;
      if (a.seq < this.lastStreamSeq && !a.duplicate) {
        this.deps.hooks.error('reordered');
        this.logOnce(
          'reordered',
          null,
          'an event reached the stream after a later one (lost in a reconnect, then resent)'
        );
      }
      this.lastStreamSeq = Math.max(this.lastStreamSeq, a.seq);
    }
    if (n > 0) this.commit(batch.slice(0, n), fresh);
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
        'jetstream publish not acknowledged; resending from the outbox cursor'
      );
    }
    return false;
  }

  private commit(events: StoredEvent[], fresh: number): void {
    const last = events[events.length - 1]!;
    this.writeCursor.run(last.seq, last.id, fresh, new Date().toISOString(), this.deps.cfg.stream);
    this.cursor = { last_seq: last.seq, last_id: last.id, published: this.cursor.published + fresh };
    this.lastPublishAt = new Date();
    this.deps.hooks.published(fresh);
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
