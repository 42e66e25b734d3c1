import type { Part, SidecarContext } from '../context';
import { logPartFailure } from '../store/store-health';

/** A heartbeat event every `heartbeat_interval_ms` with the node's status; feeds and NATS see the node is alive. */
export class HeartbeatPart implements Part {
  readonly name = 'heartbeat';
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly ctx: SidecarContext) {}

  beat(): void {
    const { ctx } = this;
    const lineage = ctx.lineage.current();
    ctx.events.append({
      source: 'heartbeat',
      kind: 'heartbeat',
      severity: 'debug',
      subject: ctx.config.node,
      data: {
        version: ctx.version,
        uptime_s: Math.round((Date.now() - ctx.startedAt.getTime()) / 1000),
        ready: ctx.status.ready().ok,
        active_generation: lineage.active,
        rss_bytes: process.memoryUsage.rss(),
      },
    });
  }

  start(): void {
    try {
      this.beat();
    } catch (err) {
      // A store that cannot write must not stop the sidecar from starting: it reports the fault itself.
      logPartFailure(this.ctx.log, err, 'heartbeat failed');
    }
    this.timer = setInterval(() => {
      try {
        this.beat();
      } catch (err) {
        logPartFailure(this.ctx.log, err, 'heartbeat failed');
      }
    }, this.ctx.config.heartbeat_interval_ms);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
