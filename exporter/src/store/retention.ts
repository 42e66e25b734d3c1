import type { Part, SidecarContext } from '../context';
import { logPartFailure } from './store-health';

export interface RetentionOptions {
  /**
   * The last event seq the outbox has published (NATS configured), or undefined without an outbox:
   * retention never deletes past it, so an outage longer than the retention window delays deletion
   * instead of dropping events that never reached the stream.
   */
  publishedUpTo?: () => number;
}

/**
 * Deletes events (and telemetry samples and history) past their age, then past the event count limit, never an
 * event the outbox has not published; and, for `store.max_size_bytes`, the oldest published events
 * down to a size (see StoreHealth).
 */
export class RetentionPart implements Part {
  readonly name = 'retention';
  private timer: NodeJS.Timeout | null = null;
  private heldLogged = false;

  constructor(
    private readonly ctx: SidecarContext,
    private readonly opts: RetentionOptions = {}
  ) {
    ctx.storeHealth.setTrimmer((target) => this.trimToSize(target));
  }

  runOnce(now = Date.now()): number {
    const { store } = this.ctx.config;
    const cutoff = new Date(now - store.retention_max_age_days * 86_400_000).toISOString();
    const maxSeq = this.opts.publishedUpTo?.();
    const { deleted, held } = this.ctx.events.repo.prune(cutoff, store.retention_max_events, maxSeq);
    this.ctx.telemetryRepo.pruneSamples(cutoff);
    const { telemetry } = this.ctx.config;
    this.ctx.telemetryRepo.pruneHistory(now - telemetry.history_max_age_days * 86_400_000, telemetry.history_max_rows);
    if (deleted) {
      this.ctx.core.retentionDeleted.inc(deleted);
      this.ctx.log.info({ deleted, cutoff }, 'retention deleted old events');
    }
    if (held && !this.heldLogged) {
      // Once per backlog: the outbox backlog metric and alert carry it from here.
      this.ctx.log.warn({ held, published_up_to: maxSeq }, 'retention keeps expired events until NATS has them');
    }
    this.heldLogged = held > 0;
    return deleted;
  }

  /**
   * Deletes the oldest events the outbox has published (every event without NATS) until the store
   * uses at most `targetBytes` or nothing more may go. Returns rows deleted.
   */
  trimToSize(targetBytes: number): number {
    const { storeHealth, events } = this.ctx;
    const maxSeq = this.opts.publishedUpTo?.();
    let deleted = 0;
    for (let round = 0; round < 64; round++) {
      const used = storeHealth.usedBytes();
      const held = events.repo.approximateCount();
      if (used <= targetBytes || held === 0) break;
      // Other tables use space too, so bytes per event is an over-estimate: a few rounds converge.
      const n = Math.max(500, Math.ceil(((used - targetBytes) / used) * held));
      const d = events.repo.deleteOldest(n, maxSeq);
      if (d === 0) break;
      deleted += d;
    }
    if (deleted) this.ctx.core.retentionDeleted.inc(deleted);
    return deleted;
  }

  start(): void {
    this.runOnce();
    this.timer = setInterval(() => {
      if (this.ctx.storeHealth.writesFailing()) return;
      try {
        this.runOnce();
      } catch (err) {
        if (!this.ctx.storeHealth.report(err, 'retention')) logPartFailure(this.ctx.log, err, 'retention failed');
      }
    }, this.ctx.config.store.retention_interval_ms);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
