import { type KV, Kvm } from '@nats-io/kv';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { NatsBus } from '../bus/nats-bus';
import type { FleetConfig } from './fleet-config';
import { FleetUnavailableError } from './fleet-errors';

/** The fleet's three KV buckets (docs/nats.md, KV buckets). */
export type FleetBucket = 'state' | 'nodes' | 'leases';

/** The key of the fleet kill state in the state bucket. */
export const FLEET_KILL_KEY = 'kill';

const encoder = new TextEncoder();

export const encodeValue = (v: unknown): Uint8Array => encoder.encode(JSON.stringify(v));

/**
 * Opens the fleet KV buckets on the sidecar's NATS connection, creating them when missing (every
 * member creates them alike, so whichever starts first wins and the others bind), and opens them again
 * after the connection is replaced. No connection: FleetUnavailableError, so callers keep what they
 * last knew instead of waiting.
 */
export class FleetKv {
  private readonly open = new Map<FleetBucket, { nc: NatsConnection; kv: Promise<KV> }>();

  constructor(
    private readonly bus: NatsBus,
    readonly cfg: FleetConfig,
    private readonly timeoutMs: number
  ) {}

  name(which: FleetBucket): string {
    return which === 'state'
      ? this.cfg.state_bucket
      : which === 'nodes'
        ? this.cfg.nodes_bucket
        : this.cfg.lease_bucket;
  }

  connected(): boolean {
    return this.bus.isConnected();
  }

  /** The bucket on the current connection; FleetUnavailableError without one or when it cannot be opened. */
  async bucket(which: FleetBucket): Promise<KV> {
    const nc = this.bus.connection();
    if (!nc) throw new FleetUnavailableError(`NATS is not connected: the fleet ${which} bucket cannot be read`);
    let cached = this.open.get(which);
    if (!cached || cached.nc !== nc) {
      cached = { nc, kv: this.create(nc, which) };
      this.open.set(which, cached);
      // A failed open is not kept: the next call tries again.
      cached.kv.catch(() => {
        if (this.open.get(which) === cached) this.open.delete(which);
      });
    }
    try {
      return await cached.kv;
    } catch (err) {
      throw new FleetUnavailableError(`fleet ${which} bucket ${this.name(which)}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private async create(nc: NatsConnection, which: FleetBucket): Promise<KV> {
    const kvm = new Kvm(jetstream(nc, { timeout: this.timeoutMs }));
    const common = { replicas: this.cfg.replicas, timeout: this.timeoutMs };
    switch (which) {
      case 'state':
        // A short history: the last few fleet kill commands can be read back with `nats kv history`.
        return kvm.create(this.cfg.state_bucket, { ...common, history: 16 });
      case 'nodes':
        // A record nobody rewrites for gone_after_ms is removed by the server (the bucket's max age).
        return kvm.create(this.cfg.nodes_bucket, { ...common, history: 1, ttl: this.cfg.gone_after_ms });
      case 'leases':
        // Each renewal is one revision; the history lets an operator (and the tests) read who held it when.
        return kvm.create(this.cfg.lease_bucket, { ...common, history: 64 });
    }
  }
}
