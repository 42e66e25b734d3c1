import type { Request, Response } from 'express';
import type { SidecarContext } from '../../context';
import { FEEDS, type FeedName, SEVERITIES, type Severity } from '../../events/event';
import type { StoredEvent } from '../../store/events-repository';

/** A kind filter: exact kinds and `prefix.*` patterns (stored as `prefix.`). */
export interface KindMatcher {
  exact: Set<string>;
  prefixes: string[];
}

export function kindMatcher(kinds: readonly string[] | undefined): KindMatcher | null {
  if (!kinds || !kinds.length) return null;
  const m: KindMatcher = { exact: new Set(), prefixes: [] };
  for (const k of kinds) {
    if (k.endsWith('.*')) m.prefixes.push(k.slice(0, -1));
    else m.exact.add(k);
  }
  return m;
}

function kindMatches(m: KindMatcher, kind: string): boolean {
  if (m.exact.has(kind)) return true;
  for (const p of m.prefixes) if (kind.startsWith(p)) return true;
  return false;
}

interface Client {
  res: Response;
  sources: Set<string> | null;
  kinds: KindMatcher | null;
  /** The kind filter as given, for the store's replay query. */
  kindList: string[] | undefined;
  minSeverity: number;
  /** Clients with the same key want the same events: a batch's frames for them are built once. */
  filterKey: string;
  /** Events with seq up to this have been sent (replay and live meet here without gaps or repeats). */
  lastSeq: number;
  replaying: boolean;
  backlog: StoredEvent[];
}

const REPLAY_PAGE = 500;
/** A client further behind than this is closed; it reconnects with Last-Event-ID and replays from the store. */
const MAX_BACKLOG = 10_000;

/**
 * Server-sent events: each event is `id: <event id>`, `event: lookout`, `data: <json>`. A client
 * reconnecting with Last-Event-ID (header or `?last_event_id=`) gets everything after that event from
 * the store first, then live events. Comments keep idle proxies from closing the stream.
 */
export class StreamHub {
  private readonly clients = new Set<Client>();
  private unsubscribe: (() => void) | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  /** Clients written to in this turn of the event loop; uncorked together once it ends. */
  private readonly corked = new Set<Client>();
  private flushScheduled = false;

  constructor(private readonly ctx: SidecarContext) {}

  start(): void {
    this.unsubscribe = this.ctx.events.onAppend((events) => this.broadcast(events));
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) c.res.write(`: keep-alive ${new Date().toISOString()}\n\n`);
    }, this.ctx.config.http.sse_heartbeat_ms);
    this.heartbeat.unref();
  }

  stop(): void {
    this.flush();
    this.unsubscribe?.();
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const c of this.clients) c.res.end();
    this.clients.clear();
    this.ctx.core.sseClients.set(0);
  }

  get size(): number {
    return this.clients.size;
  }

  /** Resolves a Last-Event-ID to a sequence number: unknown or pruned ids resume from the oldest kept event. */
  private resumeSeq(lastEventId: string | undefined): number {
    if (!lastEventId) return this.ctx.events.repo.lastSeq();
    const seq = this.ctx.events.repo.seqOf(lastEventId);
    return seq ?? 0;
  }

  /**
   * Opens a stream. `sources` (already checked to lie within the feeds) narrows the feeds further;
   * `kinds` keeps only those kinds (`prefix.*` for a family).
   */
  open(
    req: Request,
    res: Response,
    opts: {
      feeds: FeedName[];
      sources?: readonly string[] | undefined;
      kinds?: readonly string[] | undefined;
      severity: Severity | undefined;
      lastEventId: string | undefined;
    }
  ): void {
    const byFeed = opts.feeds.includes('all') ? null : new Set<string>(opts.feeds.flatMap((f) => [...FEEDS[f]]));
    const sources = opts.sources?.length ? new Set<string>(opts.sources) : byFeed;
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    // Tell nginx-style proxies (and Grafana's) not to buffer the stream.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write('retry: 2000\n\n');
    const client: Client = {
      res,
      sources,
      kinds: kindMatcher(opts.kinds),
      kindList: opts.kinds?.length ? [...opts.kinds] : undefined,
      minSeverity: opts.severity ? SEVERITIES.indexOf(opts.severity) : 0,
      filterKey: JSON.stringify([
        sources ? [...sources].sort() : null,
        opts.kinds?.length ? [...opts.kinds].sort() : null,
        opts.severity ?? null,
      ]),
      lastSeq: this.resumeSeq(opts.lastEventId),
      replaying: true,
      backlog: [],
    };
    this.clients.add(client);
    this.ctx.core.sseClients.set(this.clients.size);
    req.on('close', () => {
      this.clients.delete(client);
      this.ctx.core.sseClients.set(this.clients.size);
    });
    this.replay(client);
  }

  private replay(client: Client): void {
    // Page through the store until caught up; live events that arrive meanwhile wait in the backlog.
    for (;;) {
      const page = this.ctx.events.repo.query({
        after: client.lastSeq,
        limit: REPLAY_PAGE,
        sources: client.sources ? [...client.sources] : undefined,
        kinds: client.kindList,
      });
      for (const e of page) this.send(client, e);
      if (page.length) client.lastSeq = page[page.length - 1]!.seq;
      if (page.length < REPLAY_PAGE) break;
    }
    client.replaying = false;
    const backlog = client.backlog;
    client.backlog = [];
    for (const e of backlog) if (e.seq > client.lastSeq) this.deliver(client, e);
  }

  /**
   * Sends a committed batch to every client. Each event is serialised once; clients that share a filter and
   * are caught up get the batch's frames for that filter as one buffer, built once and written once per
   * client, so hundreds of clients following the same stream cost a write each per batch.
   */
  private broadcast(events: readonly StoredEvent[]): void {
    if (!events.length) return;
    const frames = new Map<StoredEvent, Buffer>();
    const batches = new Map<string, Buffer | null>();
    const first = events[0]!.seq;
    const last = events[events.length - 1]!.seq;
    for (const c of this.clients) {
      if (c.replaying) {
        for (const e of events) c.backlog.push(e);
        if (c.backlog.length > MAX_BACKLOG) c.res.end();
        continue;
      }
      if (c.lastSeq < first) {
        let batch = batches.get(c.filterKey);
        if (batch === undefined) {
          const parts = events.filter((e) => this.wants(c, e)).map((e) => this.frameOf(e, frames));
          batch = parts.length ? Buffer.concat(parts) : null;
          batches.set(c.filterKey, batch);
        }
        c.lastSeq = last;
        if (batch) this.write(c, batch, false);
        continue;
      }
      for (const e of events) if (e.seq > c.lastSeq) this.deliver(c, e, frames);
    }
  }

  private deliver(c: Client, e: StoredEvent, frames?: Map<StoredEvent, Buffer>): void {
    c.lastSeq = e.seq;
    this.send(c, e, frames);
  }

  private wants(c: Client, e: StoredEvent): boolean {
    if (c.sources && !c.sources.has(e.source)) return false;
    if (c.kinds && !kindMatches(c.kinds, e.kind)) return false;
    return SEVERITIES.indexOf(e.severity) >= c.minSeverity;
  }

  private frameOf(e: StoredEvent, frames?: Map<StoredEvent, Buffer>): Buffer {
    let frame = frames?.get(e);
    if (frame === undefined) {
      const { seq: _seq, ...event } = e;
      frame = Buffer.from(`id: ${e.id}\nevent: lookout\ndata: ${JSON.stringify(event)}\n\n`, 'utf8');
      frames?.set(e, frame);
    }
    return frame;
  }

  /** Writes to a client; one that has let this much pile up unsent is cut off (it resumes with Last-Event-ID). */
  private write(c: Client, data: Buffer, live: boolean): void {
    if (c.res.writableEnded) return;
    const ok = live ? this.corkedWrite(c, data) : c.res.write(data);
    if (!ok && c.res.writableLength > this.ctx.config.http.sse_max_buffered_bytes) {
      // A reader this slow would hold unbounded memory; it can resume with Last-Event-ID.
      c.res.end();
    }
  }

  /**
   * Live frames are corked per client and flushed once the current turn of the event loop ends: the
   * watcher commits many small batches in a burst, and one socket write per client per turn costs far
   * less than one per event when hundreds of clients follow the same stream.
   */
  private corkedWrite(c: Client, frame: Buffer): boolean {
    if (!this.corked.has(c)) {
      c.res.cork();
      this.corked.add(c);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return c.res.write(frame);
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const c of this.corked) if (!c.res.writableEnded) c.res.uncork();
    this.corked.clear();
  }

  private send(c: Client, e: StoredEvent, frames?: Map<StoredEvent, Buffer>): void {
    if (!this.wants(c, e)) return;
    this.write(c, this.frameOf(e, frames), frames !== undefined);
  }
}
