import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { KV } from '@nats-io/kv';
import type { Logger } from '../log/logger';
import type { LeaderLease } from '../scheduler/leader-lease';
import { type FleetKv, encodeValue } from './fleet-kv';

/** What a lease key holds: who claimed it and until when (the holder's own clock; for people and tests). */
export const leaseValueSchema = z.object({
  holder: z.string().nullable().describe('<node>/<instance> of the holder; null once released'),
  node: z.string().nullable(),
  group: z.string(),
  name: z.string(),
  acquired_at: z.string().nullable(),
  /** When this claim was sent: the holder counts itself leader from here for half the TTL. */
  claimed_at: z.string(),
  valid_until: z.string().nullable(),
});
export type LeaseValue = z.infer<typeof leaseValueSchema>;

/** One change of leadership, as `isLeader()` answers it: `at` is epoch milliseconds (fractional). */
export interface LeaseChange {
  leader: boolean;
  at: number;
}

export interface KvLeaseHooks {
  changed(change: LeaseChange & { lease: string }): void;
  error(op: string): void;
}

const nowMs = (): number => performance.timeOrigin + performance.now();

/**
 * A singleton lease in the fleet's lease bucket (key `<group>.<name>`), held by compare-and-set on the
 * key's revision — NATS 2.9 has no per-message TTL, so the TTL is kept by the protocol:
 *
 * - the holder renews every TTL/4 with `update(key, value, revision)` and counts itself leader for
 *   TTL/2 from the moment it *sent* the renewal that succeeded;
 * - a contender reads the key every TTL/8 and takes it over (`update` with the revision it read) only
 *   after that same revision has stayed unchanged for 5/8 of the TTL, measured on its own clock from
 *   when it first saw it — which is after the holder sent it.
 *
 * So the holder stops before any contender may start (TTL/2 < 5/8 TTL: no two leaders at once, with
 * TTL/8 to spare for clock rate and event-loop delay), and a dead holder's lease passes on within
 * 5/8 TTL + 2 × TTL/8 ≤ 7/8 TTL of its last renewal. A released lease (holder null) is taken at once.
 * Without NATS nobody can renew: the holder's term runs out and it stops being leader.
 */
export class KvLease implements LeaderLease {
  readonly kind = 'nats-kv';
  readonly key: string;
  readonly instance: string;
  private held = false;
  private revision = 0;
  private validUntil = 0;
  private acquiredAt: string | null = null;
  private observed: { revision: number; since: number } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private expiry: NodeJS.Timeout | null = null;
  private running = false;
  private busy: Promise<void> | null = null;
  private readonly listeners = new Set<(c: LeaseChange) => void>();
  private lastHolder: string | null = null;

  constructor(
    private readonly kv: FleetKv,
    private readonly opts: {
      node: string;
      group: string;
      name: string;
      ttlMs: number;
      log: Logger;
      hooks: KvLeaseHooks;
    }
  ) {
    this.key = `${opts.group}.${opts.name}`;
    this.instance = `${opts.node}/${crypto.randomBytes(6).toString('hex')}`;
  }

  isLeader(): boolean {
    return this.held && performance.now() < this.validUntil;
  }

  /** Who holds the lease as last read (`<node>/<instance>`), or null. */
  holder(): string | null {
    return this.isLeader() ? this.instance : this.lastHolder;
  }

  onChange(listener: (c: LeaseChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops renewing; a lease still held is released so another node takes it at once. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.busy;
    if (this.isLeader()) {
      const rev = this.revision;
      this.lose(nowMs(), 'released');
      try {
        const kv = await this.kv.bucket('leases');
        await kv.update(this.key, encodeValue(this.value(null)), rev);
      } catch (err) {
        // Another node takes it when the term runs out instead.
        this.opts.log.debug({ err, lease: this.key }, 'lease not released; it expires instead');
      }
    }
    if (this.expiry) clearTimeout(this.expiry);
    this.expiry = null;
  }

  private get ttl(): number {
    return this.opts.ttlMs;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.busy = this.round().finally(() => {
        this.busy = null;
        this.schedule(this.held ? this.ttl / 4 : this.ttl / 8);
      });
    }, ms);
    this.timer.unref();
  }

  private value(holder: string | null, sentAt = nowMs()): LeaseValue {
    return {
      holder,
      node: holder ? this.opts.node : null,
      group: this.opts.group,
      name: this.opts.name,
      acquired_at: holder ? this.acquiredAt : null,
      claimed_at: new Date(sentAt).toISOString(),
      valid_until: holder ? new Date(sentAt + this.ttl / 2).toISOString() : null,
    };
  }

  private async round(): Promise<void> {
    let kv: KV;
    try {
      kv = await this.kv.bucket('leases');
    } catch {
      this.opts.hooks.error('lease_open');
      return;
    }
    try {
      if (this.held) await this.renew(kv);
      else await this.contend(kv);
    } catch (err) {
      this.opts.hooks.error(this.held ? 'lease_renew' : 'lease_read');
      this.opts.log.debug({ err, lease: this.key }, 'lease round failed');
    }
  }

  private async renew(kv: KV): Promise<void> {
    const sent = performance.now();
    const sentAt = nowMs();
    try {
      this.revision = await kv.update(this.key, encodeValue(this.value(this.instance, sentAt)), this.revision);
      this.extend(sent);
    } catch (err) {
      // Someone else's revision, or a renewal that timed out but was stored: read what is there.
      const e = await kv.get(this.key);
      const v = e && e.operation === 'PUT' ? leaseValueSchema.safeParse(e.json()) : null;
      if (e && v?.success && v.data.holder === this.instance) {
        await this.claim(kv, e.revision);
        return;
      }
      this.lose(nowMs(), 'taken');
      this.lastHolder = v?.success ? v.data.holder : null;
      throw err;
    }
  }

  private async contend(kv: KV): Promise<void> {
    const e = await kv.get(this.key);
    if (!e || e.operation !== 'PUT') {
      // Never held, or deleted: whoever creates it first holds it.
      await this.claim(kv, e ? e.revision : 0);
      return;
    }
    const parsed = leaseValueSchema.safeParse(e.json());
    const holder = parsed.success ? parsed.data.holder : null;
    this.lastHolder = holder;
    if (holder === null || holder === this.instance) {
      await this.claim(kv, e.revision);
      return;
    }
    const now = performance.now();
    if (!this.observed || this.observed.revision !== e.revision) {
      this.observed = { revision: e.revision, since: now };
      return;
    }
    if (now - this.observed.since >= (this.ttl * 5) / 8) await this.claim(kv, e.revision);
  }

  /** Compare-and-set from `revision` (0: create); leader on success. */
  private async claim(kv: KV, revision: number): Promise<void> {
    const sent = performance.now();
    const sentAt = nowMs();
    const wasLeader = this.isLeader();
    if (!wasLeader) this.acquiredAt = new Date(sentAt).toISOString();
    const value = encodeValue(this.value(this.instance, sentAt));
    try {
      this.revision = revision === 0 ? await kv.create(this.key, value) : await kv.update(this.key, value, revision);
    } catch (err) {
      // Lost the race (another contender's revision): not an error worth more than a debug line.
      this.observed = null;
      this.opts.log.debug({ err, lease: this.key }, 'lease claim refused');
      return;
    }
    this.observed = null;
    this.held = true;
    this.lastHolder = this.instance;
    this.extend(sent);
    if (!wasLeader) {
      this.opts.log.info({ lease: this.key, holder: this.instance }, 'lease acquired');
      this.emit({ leader: true, at: sentAt });
    }
  }

  private extend(sentPerf: number): void {
    this.validUntil = sentPerf + this.ttl / 2;
    if (this.expiry) clearTimeout(this.expiry);
    const until = this.validUntil;
    this.expiry = setTimeout(
      () => {
        // The term ran out without a renewal: leadership ended at `until`, whenever this timer fires.
        if (this.held && this.validUntil === until) this.lose(performance.timeOrigin + until, 'expired');
      },
      Math.max(0, until - performance.now())
    );
    this.expiry.unref();
  }

  private lose(at: number, why: 'released' | 'taken' | 'expired'): void {
    if (!this.held) return;
    const ended = Math.min(at, performance.timeOrigin + this.validUntil);
    this.held = false;
    this.validUntil = 0;
    this.observed = null;
    this.opts.log[why === 'released' ? 'info' : 'warn']({ lease: this.key, holder: this.instance, why }, 'lease lost');
    this.emit({ leader: false, at: ended });
  }

  private emit(c: LeaseChange): void {
    this.opts.hooks.changed({ ...c, lease: this.key });
    for (const l of this.listeners) {
      try {
        l(c);
      } catch (err) {
        this.opts.log.error({ err }, 'lease listener failed');
      }
    }
  }
}
