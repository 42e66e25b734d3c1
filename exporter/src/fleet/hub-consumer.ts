import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Part, SidecarContext } from '../context';
import type { NatsBus } from '../bus/nats-bus';
import { EVENT_SUBJECT_PREFIX, eventSubject } from '../bus/outbox-publisher';
import { decodeJson } from '../bus/nats-bus';
import { type LookoutEvent, lookoutEventSchema } from '../events/event';
import { describeIssues } from '../bus/bus-subscriptions';
import type { FleetEventsRepository } from './fleet-events-repository';
import { Sleeper, backoffMs } from './sleeper';

export interface HubConsumerHooks {
  stored(events: readonly LookoutEvent[], receivedAt: number): void;
  duplicate(n: number): void;
  rejected(reason: 'not_json' | 'invalid' | 'subject_mismatch'): void;
  error(op: string): void;
}

/** A batch waits at most this many messages before it is committed and acknowledged. */
const MAX_BATCH = 500;

/**
 * The hub's durable consumer (`fleet.hub_consumer`) of the event stream (`nats.stream`, subjects
 * `lookout.evt.>`): every node's events into `fleet_events`. A message is acknowledged only after the
 * transaction holding it committed; one delivered again (a crash between commit and ack, an ack lost
 * with a server) is ignored by its event id — so each event is in the hub feed exactly once. A message
 * that is not an event, or whose subject does not match its envelope, is terminated (never redelivered)
 * and counted. While the store cannot write, messages are refused with a delay and come back.
 */
export class HubConsumer implements Part {
  readonly name = 'fleet-hub';
  private running = false;
  private loop: Promise<void> | null = null;
  private messages: ConsumerMessages | null = null;
  private buffer: JsMsg[] = [];
  private flushing = false;
  private readonly sleeper = new Sleeper();
  private warned = new Set<string>();
  /** Messages the consumer still has to deliver, as of the last check. */
  pending = 0;
  lastError: string | null = null;

  constructor(
    private readonly ctx: SidecarContext,
    private readonly deps: { bus: NatsBus; store: FleetEventsRepository; hooks: HubConsumerHooks }
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.sleeper.wake();
    await this.messages?.close();
    await this.loop;
    this.flush();
  }

  private warnOnce(kind: string, data: Record<string, unknown>, msg: string): void {
    if (this.warned.has(kind)) this.ctx.log.debug(data, msg);
    else {
      this.warned.add(kind);
      this.ctx.log.warn(data, msg);
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      const nc = await this.deps.bus.waitForConnection(1000);
      if (!this.running) break;
      if (!nc) continue;
      try {
        await this.consume(nc);
        failures = 0;
      } catch (err) {
        failures++;
        this.lastError = (err as Error).message;
        this.deps.hooks.error('consume');
        this.warnOnce('consume', { err }, 'hub consumer stopped; starting it again');
      }
      if (!this.running) break;
      await this.sleeper.sleep(backoffMs(failures));
    }
  }

  /** Makes sure the durable consumer exists, then delivers from it until it stops. */
  private async consume(nc: NatsConnection): Promise<void> {
    const { nats, fleet } = this.ctx.config;
    const jsm = await jetstreamManager(nc, { timeout: nats.publish_timeout_ms });
    try {
      await jsm.consumers.info(nats.stream, fleet.hub_consumer);
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
      await jsm.consumers.add(nats.stream, {
        durable_name: fleet.hub_consumer,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: `${EVENT_SUBJECT_PREFIX}.>`,
        max_ack_pending: 20_000,
      });
      this.ctx.log.info({ stream: nats.stream, consumer: fleet.hub_consumer }, 'hub consumer created');
    }
    const consumer = await jetstream(nc, { timeout: nats.publish_timeout_ms }).consumers.get(
      nats.stream,
      fleet.hub_consumer
    );
    const messages = await consumer.consume({
      max_messages: 1000,
      callback: (m) => this.receive(m),
    });
    this.messages = messages;
    // A stop that came while the consumer was being set up found nothing to close: close it here.
    if (!this.running) void messages.close();
    // How far behind the hub is, for the fleet view and lookout_fleet_hub_pending.
    const poll = setInterval(() => {
      consumer.info().then(
        (info) => (this.pending = info.num_pending + info.num_ack_pending),
        () => undefined
      );
    }, 5000);
    poll.unref();
    try {
      const err = await messages.closed();
      if (err && this.running) throw err;
    } finally {
      clearInterval(poll);
      this.messages = null;
    }
  }

  private receive(m: JsMsg): void {
    this.buffer.push(m);
    if (this.buffer.length >= MAX_BATCH) this.flush();
    else if (this.buffer.length === 1) setImmediate(() => this.flush());
  }

  /** Commits what arrived since the last flush in one transaction, then acknowledges it. */
  private flush(): void {
    if (this.flushing || !this.buffer.length) return;
    this.flushing = true;
    const batch = this.buffer;
    this.buffer = [];
    const accepted: { m: JsMsg; e: LookoutEvent }[] = [];
    for (const m of batch) {
      const e = this.parse(m);
      if (e) accepted.push({ m, e });
    }
    try {
      let stored: LookoutEvent[] = [];
      if (accepted.length) {
        stored = this.deps.store.batch((insert) => {
          for (const { m, e } of accepted) insert(e, m.seq);
        });
      }
      for (const { m } of accepted) m.ack();
      if (stored.length) this.deps.hooks.stored(stored, Date.now());
      if (accepted.length > stored.length) this.deps.hooks.duplicate(accepted.length - stored.length);
    } catch (err) {
      // Not stored (a full disk, a read-only folder): the server delivers them again a little later.
      this.deps.hooks.error('store');
      this.ctx.storeHealth.report(err, 'fleet hub');
      this.warnOnce('store', { err }, 'hub could not store events; the stream delivers them again');
      for (const { m } of accepted) m.nak(this.ctx.config.store.check_interval_ms);
    } finally {
      this.flushing = false;
    }
    if (this.buffer.length) setImmediate(() => this.flush());
  }

  private parse(m: JsMsg): LookoutEvent | null {
    const decoded = decodeJson(m.data);
    if (decoded.decodeError) return this.reject(m, 'not_json', decoded.decodeError);
    const r = lookoutEventSchema.safeParse(decoded.data);
    if (!r.success) return this.reject(m, 'invalid', describeIssues(r.error.issues));
    // A node publishes only on its own subjects: an envelope naming another node (or kind) is refused.
    if (eventSubject(r.data) !== m.subject) {
      return this.reject(m, 'subject_mismatch', `subject ${m.subject} is not ${eventSubject(r.data)}`);
    }
    return r.data;
  }

  private reject(m: JsMsg, reason: 'not_json' | 'invalid' | 'subject_mismatch', error: string): null {
    m.term(reason);
    this.deps.hooks.rejected(reason);
    this.warnOnce(`reject:${reason}`, { subject: m.subject, seq: m.seq, error }, 'hub refused a stream message');
    return null;
  }
}
