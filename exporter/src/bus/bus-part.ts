import type { Part, SidecarContext } from '../context';
import type { Counter } from '../metrics/metrics-registry';
import { type IngestResult, parseTelemetrySnapshot } from '../telemetry';
import type { BusSubscription } from './bus';
import { BusRejections } from './bus-subscriptions';
import { NatsBus } from './nats-bus';
import { StoreUnavailableError, logPartFailure } from '../store/store-health';
import { OutboxPublisher, SubjectMap, type SubjectMapping } from './outbox-publisher';

export const telemetrySubject = (node: string): string => `lookout.telemetry.${node}`;

/**
 * The bus as a part of the sidecar: starts the NATS connection (in the background), the outbox
 * publisher (NATS only) and the telemetry subscription, and exposes `lookout_bus_*` metrics, the
 * `bus` readiness check and the `bus` status section. Stopping drains the connection after the
 * outbox has settled its last batch.
 */
export class BusPart implements Part {
  readonly name = 'bus';
  readonly rejections: BusRejections;
  readonly outbox: OutboxPublisher | null = null;
  private readonly published: Counter;
  private readonly errors: Counter<'kind'>;
  private readonly reconnects: Counter;
  private subs: BusSubscription[] = [];
  private unwatch: (() => void) | null = null;

  constructor(private readonly ctx: SidecarContext) {
    const { metrics, bus, config } = ctx;
    metrics.gauge({
      name: 'lookout_bus_connected',
      help: '1 while the bus is connected (always 1 for the in-process bus)',
      collect() {
        this.set(bus.isConnected() ? 1 : 0);
      },
    });
    this.published = metrics.counter({
      name: 'lookout_bus_published_total',
      help: 'Events the JetStream stream acknowledged as new (duplicates of a resend not counted)',
    });
    this.errors = metrics.counter({
      name: 'lookout_bus_errors_total',
      help: 'Bus failures by kind (connect_failed, publish_timeout, publish_failed, stream_setup, stream_check, reordered, pruned_unpublished, error)',
      labelNames: ['kind'] as const,
    });
    this.reconnects = metrics.counter({
      name: 'lookout_bus_reconnects_total',
      help: 'Times the NATS connection was re-established after a disconnect',
    });
    const found = metrics.counter({
      name: 'lookout_bus_resend_skipped_total',
      help: 'Events the outbox found already on the stream after a crash or a lost ack, and did not publish again',
    });
    const rejected = metrics.counter({
      name: 'lookout_bus_rejected_total',
      help: 'Inbound bus messages refused as malformed, by subject kind',
      labelNames: ['subject_kind'] as const,
    });
    this.rejections = new BusRejections(rejected, ctx.log);
    if (bus instanceof NatsBus) {
      const mappings: SubjectMapping[] = config.nats.subject_map.map((m) => ({
        kind: m.kind,
        source: m.source,
        subject: m.subject,
        payload: m.payload,
      }));
      this.outbox = new OutboxPublisher({
        db: ctx.db,
        events: ctx.events,
        bus,
        cfg: config.nats,
        subjectMap: new SubjectMap(config.node, mappings),
        log: ctx.log.child({ part: 'outbox' }),
        node: config.node,
        health: ctx.storeHealth,
        hooks: {
          published: (n) => this.published.inc(n),
          found: (n) => found.inc(n),
          error: (kind) => this.errors.inc({ kind }),
        },
      });
    }
    const outbox = this.outbox;
    metrics.gauge({
      name: 'lookout_bus_outbox_pending',
      help: 'Events committed to the store but not yet acknowledged by JetStream (0 without NATS)',
      collect() {
        this.set(outbox ? outbox.pending() : 0);
      },
    });
    ctx.status.readiness('bus', () =>
      bus.isConnected()
        ? { ok: true }
        : { ok: false, detail: `not connected${bus instanceof NatsBus && bus.lastError ? `: ${bus.lastError}` : ''}` }
    );
    ctx.status.section('bus', () => this.statusSection());
  }

  start(): void {
    const { ctx } = this;
    const { bus } = ctx;
    if (bus instanceof NatsBus) {
      this.unwatch = bus.onEvent((e) => {
        if (e.type === 'reconnected') this.reconnects.inc();
        else if (e.type === 'connect_failed') this.errors.inc({ kind: 'connect_failed' });
        else if (e.type === 'error') this.errors.inc({ kind: 'error' });
      });
      bus.start();
    }
    this.subs.push(
      bus.subscribe(telemetrySubject(ctx.config.node), (msg) => {
        if (msg.decodeError) return this.rejections.reject('telemetry', msg, msg.decodeError);
        const parsed = parseTelemetrySnapshot(msg.data);
        if (!parsed.ok) return this.rejections.reject('telemetry', msg, parsed.error);
        let result: IngestResult;
        try {
          result = ctx.telemetry.ingestParsed(parsed.snapshot, 'nats', msg.subject);
        } catch (err) {
          logPartFailure(ctx.log, err, 'telemetry from the bus could not be stored');
          // A store that takes no ingestion says why, so the sender knows to retry later.
          msg.reply?.({ ok: false, error: err instanceof StoreUnavailableError ? err.message : 'not stored' });
          return;
        }
        if (!result.ok) return this.rejections.reject('telemetry', msg, result.error);
        // The good part is kept; the sender hears which samples were refused and why.
        msg.reply?.(
          result.rejected.length
            ? {
                ok: true,
                accepted: result.accepted,
                rejected: result.rejected.length,
                problems: result.rejected.slice(0, 20).map((r) => ({ path: r.path, reason: r.reason })),
              }
            : { ok: true }
        );
      })
    );
    this.outbox?.start();
  }

  async stop(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    await this.outbox?.stop();
    this.unwatch?.();
    await this.ctx.bus.close();
  }

  private statusSection(): Record<string, unknown> {
    const { bus, config } = this.ctx;
    const base = { kind: bus.kind, connected: bus.isConnected(), rejected: this.rejections.total() };
    if (!(bus instanceof NatsBus)) return base;
    return {
      ...base,
      server: bus.server(),
      connected_since: bus.connectedSince?.toISOString() ?? null,
      last_error: bus.lastError,
      stream: config.nats.stream,
      outbox: this.outbox
        ? {
            pending: this.outbox.pending(),
            cursor_seq: this.outbox.cursorSeq(),
            last_publish_at: this.outbox.lastPublishAt?.toISOString() ?? null,
            last_error: this.outbox.lastError,
          }
        : null,
    };
  }
}
