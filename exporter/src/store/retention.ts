import type { Part, SidecarContext } from '../context';

/** Deletes events (and telemetry samples) past their age, then past the event count limit. */
export class RetentionPart implements Part {
  readonly name = 'retention';
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly ctx: SidecarContext) {}

  runOnce(now = Date.now()): number {
    const { store } = this.ctx.config;
    const cutoff = new Date(now - store.retention_max_age_days * 86_400_000).toISOString();
    const deleted = this.ctx.events.repo.prune(cutoff, store.retention_max_events);
    this.ctx.telemetryRepo.pruneSamples(cutoff);
    if (deleted) {
      this.ctx.core.retentionDeleted.inc(deleted);
      this.ctx.log.info({ deleted, cutoff }, 'retention deleted old events');
    }
    return deleted;
  }

  start(): void {
    this.runOnce();
    this.timer = setInterval(() => {
      try {
        this.runOnce();
      } catch (err) {
        this.ctx.log.error({ err }, 'retention failed');
      }
    }, this.ctx.config.store.retention_interval_ms);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
