import crypto from 'node:crypto';
import type { Part, SidecarContext } from '../context';
import type { KillSwitch } from '../guardian/kill-switch';
import type { FleetKv } from './fleet-kv';
import { encodeValue } from './fleet-kv';
import type { FleetKillState, FollowReport, NodeRecord } from './fleet-schemas';

/** What the membership record reads from the other fleet parts. */
export interface MembershipSources {
  killSwitch: KillSwitch;
  /** The URL the hub reaches this sidecar at. */
  url: () => string | null;
  outbox: () => { pending: number; cursor_seq: number } | null;
  follow: () => { report: FollowReport | null; readable: boolean; byFleet: boolean };
  /** The fleet kill state as last read here. */
  known: () => { revision: number; state: FleetKillState | null; engagedForMe: boolean };
  leases: () => { key: string; leader: boolean; holder: string | null }[];
}

export interface MembershipHooks {
  written(): void;
  error(op: string): void;
}

/**
 * This node's membership record in the nodes bucket (key = node name): who it is, what it runs, its
 * kill switch and what it did with the fleet kill state. Rewritten every `fleet.heartbeat_interval_ms`
 * and soon after anything in it changes; the bucket's max age (`fleet.gone_after_ms`) removes the
 * record of a node that stopped writing. A write that fails is retried on the next beat: the hub shows
 * the node stale meanwhile.
 */
export class Membership implements Part {
  readonly name = 'fleet-membership';
  readonly instance = crypto.randomBytes(6).toString('hex');
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private writing: Promise<void> | null = null;
  private again = false;
  /** The write in flight has read the record (a change after this needs a write of its own). */
  private recorded = false;
  private running = false;
  lastWriteAt: Date | null = null;
  lastError: string | null = null;

  constructor(
    private readonly ctx: SidecarContext,
    private readonly kv: FleetKv,
    private readonly sources: MembershipSources,
    private readonly hooks: MembershipHooks
  ) {
    ctx.status.section('fleet', () => this.statusSection());
  }

  /** Written within fleet.stale_after_ms: the hub sees this node up. */
  fresh(): boolean {
    return !!this.lastWriteAt && Date.now() - this.lastWriteAt.getTime() < this.ctx.config.fleet.stale_after_ms;
  }

  private statusSection(): Record<string, unknown> {
    const f = this.ctx.config.fleet;
    const follow = this.sources.follow();
    const known = this.sources.known();
    return {
      enabled: true,
      hub: f.hub,
      group: f.group,
      labels: f.labels,
      url: this.sources.url(),
      membership: { last_write_at: this.lastWriteAt?.toISOString() ?? null, last_error: this.lastError },
      kill: {
        readable: follow.readable,
        revision: known.revision,
        engaged_for_this_node: known.engagedForMe,
        state: known.state,
        report: follow.report,
      },
      leases: this.sources.leases(),
    };
  }

  record(stopping = false): NodeRecord {
    const { ctx } = this;
    const f = ctx.config.fleet;
    const kill = this.sources.killSwitch.state();
    const follow = this.sources.follow();
    return {
      node: ctx.config.node,
      instance: this.instance,
      version: ctx.version,
      url: this.sources.url(),
      group: f.group,
      labels: f.labels,
      hub: f.hub,
      follow_kill: f.follow_kill,
      fail_safe: f.fail_safe,
      started_at: ctx.startedAt.toISOString(),
      heartbeat_at: new Date().toISOString(),
      stopping,
      kill: {
        engaged: kill.engaged,
        actor: kill.actor,
        reason: kill.reason,
        since: kill.since,
        ...(kill.fail_safe ? { fail_safe: kill.fail_safe } : {}),
      },
      fleet_kill: follow.report,
      kill_by_fleet: kill.engaged && follow.byFleet,
      fleet_state_readable: follow.readable,
      outbox: this.sources.outbox(),
      last_event: { id: ctx.events.repo.lastId() },
      leases: this.sources
        .leases()
        .filter((l) => l.leader)
        .map((l) => l.key),
    };
  }

  start(): void {
    this.running = true;
    // A kill switch changed here (guardian, an operator, the fleet) is in the record at once.
    this.unsubscribe = this.ctx.events.onAppend((batch) => {
      if (batch.some((e) => e.kind.startsWith('kill_switch.'))) this.touch();
    });
    this.touch();
    this.timer = setInterval(() => this.touch(), this.ctx.config.fleet.heartbeat_interval_ms);
    this.timer.unref();
  }

  /** Says goodbye (`stopping: true`) so the hub shows the node stopped rather than stale. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.writing;
    await this.write(true);
  }

  /** Rewrites the record soon (coalescing bursts of changes into one write). */
  touch(): void {
    if (!this.running) return;
    if (this.writing) {
      // A write that has not read the record yet will carry this change too; one that has needs another.
      if (this.recorded) this.again = true;
      return;
    }
    this.recorded = false;
    this.writing = this.write(false).finally(() => {
      this.writing = null;
      if (this.again) {
        this.again = false;
        this.touch();
      }
    });
  }

  private async write(stopping: boolean): Promise<void> {
    try {
      const kv = await this.kv.bucket('nodes');
      this.recorded = true;
      await kv.put(this.ctx.config.node, encodeValue(this.record(stopping)));
      this.lastWriteAt = new Date();
      this.lastError = null;
      this.hooks.written();
    } catch (err) {
      this.lastError = (err as Error).message;
      this.hooks.error('membership_write');
    }
  }
}
