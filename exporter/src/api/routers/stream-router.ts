import type { Request, Response } from 'express';
import type { SidecarContext } from '../../context';
import { FEEDS, type FeedName, SEVERITIES, type Severity } from '../../events/event';
import type { EventsRepository, StoredEvent } from '../../store/events-repository';

/** Where a stream's events come from: this node's event log, or the hub's copy of every node's events. */
export interface EventStreamSource {
  readonly repo: Pick<EventsRepository, 'query' | 'seqOf' | 'lastSeq'>;
  onAppend(listener: (events: readonly StoredEvent[]) => void): () => void;
}

interface Client {
  res: Response;
  sources: Set<string> | null;
  nodes: Set<string> | null;
  minSeverity: number;
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

  private readonly source: EventStreamSource;

  /** Streams this node's events, or another source's (the hub's fleet events). */
  constructor(
    private readonly ctx: SidecarContext,
    source?: EventStreamSource
  ) {
    this.source = source ?? ctx.events;
  }

  start(): void {
    this.unsubscribe = this.source.onAppend((events) => this.broadcast(events));
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) c.res.write(`: keep-alive ${new Date().toISOString()}\n\n`);
    }, this.ctx.config.http.sse_heartbeat_ms);
    this.heartbeat.unref();
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const c of this.clients) c.res.end();
    // Several streams share the gauge (this node's, the hub's fleet stream): each counts its own clients.
    this.ctx.core.sseClients.dec(this.clients.size);
    this.clients.clear();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Resolves a Last-Event-ID to a sequence number: unknown or pruned ids resume from the oldest kept event. */
  private resumeSeq(lastEventId: string | undefined): number {
    if (!lastEventId) return this.source.repo.lastSeq();
    const seq = this.source.repo.seqOf(lastEventId);
    return seq ?? 0;
  }

  open(
    req: Request,
    res: Response,
    opts: {
      feeds: FeedName[];
      severity: Severity | undefined;
      lastEventId: string | undefined;
      /** Only these nodes' events (the fleet stream). */
      nodes?: readonly string[] | undefined;
    }
  ): void {
    const sources = opts.feeds.includes('all') ? null : new Set<string>(opts.feeds.flatMap((f) => [...FEEDS[f]]));
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
      nodes: opts.nodes?.length ? new Set(opts.nodes) : null,
      minSeverity: opts.severity ? SEVERITIES.indexOf(opts.severity) : 0,
      lastSeq: this.resumeSeq(opts.lastEventId),
      replaying: true,
      backlog: [],
    };
    this.clients.add(client);
    this.ctx.core.sseClients.inc();
    req.on('close', () => {
      if (this.clients.delete(client)) this.ctx.core.sseClients.dec();
    });
    this.replay(client);
  }

  private replay(client: Client): void {
    // Page through the store until caught up; live events that arrive meanwhile wait in the backlog.
    for (;;) {
      const page = this.source.repo.query({
        after: client.lastSeq,
        limit: REPLAY_PAGE,
        sources: client.sources ? [...client.sources] : undefined,
        nodes: client.nodes ? [...client.nodes] : undefined,
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

  private broadcast(events: readonly StoredEvent[]): void {
    for (const c of this.clients) {
      for (const e of events) {
        if (c.replaying) {
          c.backlog.push(e);
          continue;
        }
        if (e.seq <= c.lastSeq) continue;
        this.deliver(c, e);
      }
      if (c.backlog.length > MAX_BACKLOG) c.res.end();
    }
  }

  private deliver(c: Client, e: StoredEvent): void {
    c.lastSeq = e.seq;
    this.send(c, e);
  }

  private send(c: Client, e: StoredEvent): void {
    if (c.sources && !c.sources.has(e.source)) return;
    if (c.nodes && !c.nodes.has(e.node)) return;
    if (SEVERITIES.indexOf(e.severity) < c.minSeverity) return;
    const { seq: _seq, ...event } = e;
    const ok = c.res.write(`id: ${e.id}\nevent: lookout\ndata: ${JSON.stringify(event)}\n\n`);
    if (!ok && c.res.writableLength > 8 * 1024 * 1024) {
      // A reader this slow would hold unbounded memory; it can resume with Last-Event-ID.
      c.res.end();
    }
  }
}
