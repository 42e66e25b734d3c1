import type { Counter, Gauge, Histogram, MetricsRegistry } from '../metrics/metrics-registry';
import type { FollowStatus } from './fleet-schemas';
import type { NodeState } from './fleet-view';

/** What the fleet gauges read, once the fleet parts exist (fleet mode on). */
export interface FleetGaugeSources {
  group: string;
  readable: () => boolean;
  engagedForMe: () => boolean;
  memberFresh: () => boolean;
  leases: () => { key: string; leader: boolean }[];
  /** Hub only. */
  nodes?: () => Record<NodeState, number>;
  hubPending?: () => number;
}

/**
 * The `lookout_fleet_*` metrics (docs/metrics.md). Registered on every sidecar so the names are stable;
 * the labelled gauges have series only in fleet mode, so an alert on them never fires on a sidecar
 * that is not in a fleet.
 */
export class FleetMetrics {
  readonly follows: Counter<'status'>;
  readonly kvErrors: Counter<'op'>;
  readonly leaseChanges: Counter<'lease' | 'change'>;
  readonly hubEvents: Counter;
  readonly hubDuplicates: Counter;
  readonly hubRejected: Counter<'reason'>;
  readonly hubLag: Histogram;
  private sources: FleetGaugeSources | null = null;

  constructor(metrics: MetricsRegistry) {
    // collect() runs with the metric as `this`: the sources are read through this closure.
    const src = (): FleetGaugeSources | null => this.sources;
    metrics.gauge({
      name: 'lookout_fleet_member',
      help: '1 while this node is in a fleet and its membership record was written within fleet.stale_after_ms',
      collect(this: Gauge) {
        this.set(src()?.memberFresh() ? 1 : 0);
      },
    });
    metrics.gauge({
      name: 'lookout_fleet_state_readable',
      help: '1 while this node can read the fleet kill state; 0: it keeps its last known state (fleet mode only)',
      labelNames: ['group'] as const,
      collect(this: Gauge<'group'>) {
        const s = src();
        if (s) this.set({ group: s.group }, s.readable() ? 1 : 0);
      },
    });
    metrics.gauge({
      name: 'lookout_fleet_kill_engaged',
      help: '1 while the fleet kill state, as this node last read it, engages it (fleet mode only)',
      labelNames: ['group'] as const,
      collect(this: Gauge<'group'>) {
        const s = src();
        if (s) this.set({ group: s.group }, s.engagedForMe() ? 1 : 0);
      },
    });
    metrics.gauge({
      name: 'lookout_fleet_lease_leader',
      help: '1 while this node holds the lease (<group>.<name>, e.g. default.scheduler), else 0 (fleet mode only)',
      labelNames: ['lease'] as const,
      collect(this: Gauge<'lease'>) {
        for (const l of src()?.leases() ?? []) this.set({ lease: l.key }, l.leader ? 1 : 0);
      },
    });
    metrics.gauge({
      name: 'lookout_fleet_nodes',
      help: 'Hub only: fleet nodes by state (up, stale, gone, stopped)',
      labelNames: ['state'] as const,
      collect(this: Gauge<'state'>) {
        const counts = src()?.nodes?.();
        if (counts) for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    metrics.gauge({
      name: 'lookout_fleet_hub_pending',
      help: 'Hub only: stream messages the hub consumer has not yet stored and acknowledged',
      collect(this: Gauge) {
        this.set(src()?.hubPending?.() ?? 0);
      },
    });
    this.follows = metrics.counter({
      name: 'lookout_fleet_kill_follows_total',
      help: 'Fleet kill state revisions this node followed, by what it did (verified, failed, unchanged, held_locally, ...)',
      labelNames: ['status'] as const,
    });
    this.kvErrors = metrics.counter({
      name: 'lookout_fleet_errors_total',
      help: 'Fleet operations that failed, by operation (state_read, membership_write, lease_renew, consume, ...)',
      labelNames: ['op'] as const,
    });
    this.leaseChanges = metrics.counter({
      name: 'lookout_fleet_lease_changes_total',
      help: 'Times this node acquired or lost a lease',
      labelNames: ['lease', 'change'] as const,
    });
    this.hubEvents = metrics.counter({
      name: 'lookout_fleet_hub_events_total',
      help: 'Hub only: events stored in the fleet feed (each once)',
    });
    this.hubDuplicates = metrics.counter({
      name: 'lookout_fleet_hub_duplicates_total',
      help: 'Hub only: stream messages delivered again whose event the fleet feed already held (not stored twice)',
    });
    this.hubRejected = metrics.counter({
      name: 'lookout_fleet_hub_rejected_total',
      help: 'Hub only: stream messages refused (terminated) as not an event, by reason (not_json, invalid, subject_mismatch)',
      labelNames: ['reason'] as const,
    });
    this.hubLag = metrics.histogram({
      name: 'lookout_fleet_hub_lag_seconds',
      help: 'Hub only: time from an event (its ts, the node clock) to its storage in the fleet feed',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    });
  }

  /** The fleet parts exist: the gauges read them from now on. */
  attach(sources: FleetGaugeSources): void {
    this.sources = sources;
  }

  followed(status: FollowStatus): void {
    this.follows.inc({ status });
  }
}
