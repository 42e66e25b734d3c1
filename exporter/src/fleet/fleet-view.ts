import type { Statement } from 'better-sqlite3';
import type { KV, KvEntry } from '@nats-io/kv';
import type { Part, SidecarContext } from '../context';
import { FLEET_KILL_KEY, type FleetKv } from './fleet-kv';
import type { FleetEventsRepository, NodeLastEvent } from './fleet-events-repository';
import { type FleetKillState, type NodeRecord, fleetKillStateSchema, nodeRecordSchema } from './fleet-schemas';
import { type LeaseValue, leaseValueSchema } from './kv-lease';
import { Sleeper, backoffMs } from './sleeper';

export const NODE_STATES = ['up', 'stale', 'gone', 'stopped'] as const;
export type NodeState = (typeof NODE_STATES)[number];

export interface FleetNode {
  node: string;
  state: NodeState;
  /** When the NATS server stored the node's last record (its clock, not the node's). */
  heartbeat_at: string;
  heartbeat_age_ms: number;
  record: NodeRecord;
  /** The newest event of this node the hub holds. */
  last_event: NodeLastEvent | null;
}

export interface FleetKillView {
  revision: number;
  state: FleetKillState | null;
}

export interface LeaseView extends LeaseValue {
  lease: string;
  revision: number;
}

interface NodeRow {
  node: string;
  record: string;
  heartbeat_at: string;
}

/**
 * The hub's view of the fleet: every membership record (watched, and read again every heartbeat
 * interval in case the watch missed something) kept in `fleet_nodes`, so a node whose record expired
 * from the bucket is still listed, as gone. A node is `up` while its record is younger than
 * `fleet.stale_after_ms`, `stale` until `fleet.gone_after_ms`, `gone` after, and `stopped` when its
 * last record said it was shutting down. Ages are measured from the time the NATS server stored the
 * record, so the nodes' clocks do not matter (the hub's should be in sync with the servers').
 */
export class FleetView implements Part {
  readonly name = 'fleet-view';
  private readonly upsertStmt: Statement<unknown[]>;
  private readonly allStmt: Statement<unknown[]>;
  private running = false;
  private watching: Promise<void> | null = null;
  private stopWatch: (() => void) | null = null;
  private poller: NodeJS.Timeout | null = null;
  private readonly sleeper = new Sleeper();
  private readonly listeners = new Set<(node: string, record: NodeRecord) => void>();
  lastError: string | null = null;

  constructor(
    private readonly ctx: SidecarContext,
    private readonly deps: { kv: FleetKv; events: FleetEventsRepository; hooks: { error(op: string): void } }
  ) {
    this.upsertStmt = ctx.db.prepare(
      `INSERT INTO fleet_nodes (node, record, heartbeat_at, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(node) DO UPDATE SET record = excluded.record, heartbeat_at = excluded.heartbeat_at,
         updated_at = excluded.updated_at WHERE excluded.heartbeat_at >= fleet_nodes.heartbeat_at`
    );
    this.allStmt = ctx.db.prepare('SELECT node, record, heartbeat_at FROM fleet_nodes ORDER BY node');
  }

  start(): void {
    this.running = true;
    this.watching = this.watchLoop();
    void this.resync();
    this.poller = setInterval(() => void this.resync(), this.ctx.config.fleet.heartbeat_interval_ms);
    this.poller.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.poller) clearInterval(this.poller);
    this.stopWatch?.();
    this.sleeper.wake();
    await this.watching;
  }

  private stateOf(record: NodeRecord, ageMs: number): NodeState {
    const f = this.ctx.config.fleet;
    if (ageMs >= f.gone_after_ms) return 'gone';
    if (record.stopping) return 'stopped';
    return ageMs >= f.stale_after_ms ? 'stale' : 'up';
  }

  /**
   * Every node the hub has seen, with its state now; `lastEvents: false` skips looking up each node's
   * newest event in the hub feed (a scan of the feed's index: not for a tight loop).
   */
  nodes(opts: { lastEvents?: boolean } = {}): FleetNode[] {
    const now = Date.now();
    const last = opts.lastEvents === false ? new Map<string, NodeLastEvent>() : this.deps.events.lastPerNode();
    const out: FleetNode[] = [];
    for (const row of this.allStmt.all() as NodeRow[]) {
      const r = nodeRecordSchema.safeParse(JSON.parse(row.record));
      if (!r.success) continue;
      const age = Math.max(0, now - Date.parse(row.heartbeat_at));
      out.push({
        node: row.node,
        state: this.stateOf(r.data, age),
        heartbeat_at: row.heartbeat_at,
        heartbeat_age_ms: age,
        record: r.data,
        last_event: last.get(row.node) ?? null,
      });
    }
    return out;
  }

  /**
   * Calls `listener` with the node's name and record each time a record of it is stored (from the watch
   * or a resync; one older than the stored one is not); returns the function that stops it. Lets a
   * waiter react to the record instead of polling.
   */
  onChange(listener: (node: string, record: NodeRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  node(name: string): FleetNode | undefined {
    return this.nodes({ lastEvents: false }).find((n) => n.node === name);
  }

  /** Counts by state (the lookout_fleet_nodes gauge). */
  counts(): Record<NodeState, number> {
    const c: Record<NodeState, number> = { up: 0, stale: 0, gone: 0, stopped: 0 };
    for (const n of this.nodes({ lastEvents: false })) c[n.state]++;
    return c;
  }

  /** The fleet kill state now; FleetUnavailableError when it cannot be read. */
  async kill(): Promise<FleetKillView> {
    const kv = await this.deps.kv.bucket('state');
    const e = await kv.get(FLEET_KILL_KEY);
    if (!e || e.operation !== 'PUT') return { revision: e?.revision ?? 0, state: null };
    const r = fleetKillStateSchema.safeParse(e.json());
    return { revision: e.revision, state: r.success ? r.data : null };
  }

  /** Every lease and its holder as the bucket has it. */
  async leases(): Promise<LeaseView[]> {
    const kv = await this.deps.kv.bucket('leases');
    const out: LeaseView[] = [];
    for await (const key of await kv.keys()) {
      const e = await kv.get(key);
      if (!e || e.operation !== 'PUT') continue;
      const r = leaseValueSchema.safeParse(e.json());
      if (r.success) out.push({ lease: key, revision: e.revision, ...r.data });
    }
    return out.sort((a, b) => a.lease.localeCompare(b.lease));
  }

  private store(e: KvEntry): void {
    if (e.operation !== 'PUT') return;
    let parsed: unknown;
    try {
      parsed = e.json();
    } catch {
      parsed = null;
    }
    const r = nodeRecordSchema.safeParse(parsed);
    if (!r.success || r.data.node !== e.key) {
      this.deps.hooks.error('node_record_invalid');
      return;
    }
    const now = new Date().toISOString();
    const { changes } = this.upsertStmt.run(e.key, JSON.stringify(r.data), e.created.toISOString(), now);
    if (changes === 0) return;
    for (const l of this.listeners) {
      try {
        l(e.key, r.data);
      } catch (err) {
        this.ctx.log.error({ err, node: e.key }, 'a fleet view listener failed');
      }
    }
  }

  private async resync(): Promise<void> {
    if (!this.running) return;
    let kv: KV;
    try {
      kv = await this.deps.kv.bucket('nodes');
      const keys: string[] = [];
      for await (const k of await kv.keys()) keys.push(k);
      for (const k of keys) {
        const e = await kv.get(k);
        if (e) this.store(e);
      }
      this.lastError = null;
    } catch (err) {
      this.lastError = (err as Error).message;
      this.deps.hooks.error('nodes_read');
    }
  }

  private async watchLoop(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const kv = await this.deps.kv.bucket('nodes');
        const it = await kv.watch();
        this.stopWatch = () => it.stop();
        // A stop that came while the watch was being set up found nothing to end: end it here.
        if (!this.running) it.stop();
        failures = 0;
        for await (const e of it) this.store(e);
      } catch {
        this.deps.hooks.error('nodes_watch');
      }
      this.stopWatch = null;
      if (!this.running) break;
      await this.sleeper.sleep(backoffMs(++failures));
    }
  }
}
