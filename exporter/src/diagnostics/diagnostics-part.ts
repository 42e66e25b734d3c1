import type { Part, SidecarContext } from '../context';
import { DiagnosticsRepository } from './diagnostics-repository';
import { createDiagnosticsMetrics } from './diagnostics-metrics';
import { DiagnosticsNotifier } from './diagnostics-notifier';
import { DiagnosticsService } from './diagnostics-service';
import { logPartFailure } from '../store/store-health';

/**
 * The diagnostics tracker as a sidecar part: follows the guardian's incident events, checks due
 * dates every `diagnostics.check_interval_ms`, and serves the service to the route module.
 */
export class DiagnosticsPart implements Part {
  readonly name = 'diagnostics';
  readonly service: DiagnosticsService;
  readonly notifier: DiagnosticsNotifier;
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ctx: SidecarContext,
    opts: { now?: () => Date } = {}
  ) {
    const repo = new DiagnosticsRepository(ctx.db);
    const now = opts.now ?? (() => new Date());
    const metrics = createDiagnosticsMetrics(ctx.metrics, repo, now);
    const cfg = ctx.config.diagnostics;
    this.notifier = new DiagnosticsNotifier(ctx.bus, metrics, ctx.log, {
      url: cfg.webhook_url,
      timeoutMs: cfg.webhook_timeout_ms,
      retries: cfg.webhook_retries,
      backoffMs: cfg.webhook_retry_backoff_ms,
    });
    this.service = new DiagnosticsService({
      db: ctx.db,
      repo,
      events: ctx.events,
      kv: ctx.kv,
      metrics,
      notifier: this.notifier,
      config: cfg,
      node: ctx.config.node,
      log: ctx.log,
      now,
    });
    ctx.status.section('diagnostics', () => {
      const open = repo.activeBySeverity();
      return { open, overdue: repo.overdueCount(now().toISOString()), webhook: cfg.webhook_url ? 'configured' : 'off' };
    });
  }

  /** One due-date pass; errors are logged, never thrown into the timer. */
  checkDue(): void {
    try {
      this.service.checkDue();
    } catch (err) {
      logPartFailure(this.ctx.log, err, 'diagnostics due-date check failed');
    }
  }

  start(): void {
    // Catch up first, then follow: both run synchronously, so no event falls between them.
    const missed = this.service.catchUp();
    if (missed) this.ctx.log.info({ events: missed }, 'diagnostics caught up on guardian incident events');
    this.unsubscribe = this.ctx.events.onAppend((batch) => this.service.handleEvents(batch));
    this.checkDue();
    this.timer = setInterval(() => this.checkDue(), this.ctx.config.diagnostics.check_interval_ms);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.notifier.stop();
  }
}
