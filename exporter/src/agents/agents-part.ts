import type { Part, SidecarContext } from '../context';
import type { BusSubscription } from '../bus/bus';
import type { BusRejections } from '../bus/bus-subscriptions';
import { describeIssues } from '../bus/bus-subscriptions';
import { agentNameSchema, heartbeatBody } from './agent-schemas';
import { AgentNotFoundError, type AgentService } from './agent-service';
import { logPartFailure } from '../store/store-health';

/** `lookout.agents.<agent>.heartbeat`. */
export const HEARTBEAT_SUBJECT = 'lookout.agents.*.heartbeat';

/**
 * Runs the agent registry: heartbeats from the bus, the staleness check (down + requeue), the task
 * lease check (a lapsed lease fails the attempt) and the periodic assignment round. Bad heartbeats are refused through the bus's rejections (error reply,
 * counter, one log line per kind).
 */
export class AgentsPart implements Part {
  readonly name = 'agents';
  private timers: NodeJS.Timeout[] = [];
  private sub: BusSubscription | null = null;

  constructor(
    private readonly ctx: SidecarContext,
    readonly service: AgentService,
    private readonly rejections: BusRejections
  ) {
    ctx.status.section('agents', () => ({
      by_status: service.repo.countAgentsByStatus(),
      tasks_by_status: service.repo.countTasksByStatus(),
      stale: service.staleAgents(),
    }));
  }

  start(): void {
    const { ctx, service } = this;
    service.resume();
    this.sub = ctx.bus.subscribe(HEARTBEAT_SUBJECT, (msg) => {
      const name = msg.subject.split('.')[2] ?? '';
      if (!agentNameSchema.safeParse(name).success)
        return this.rejections.reject('heartbeat', msg, `invalid agent name ${JSON.stringify(name)}`);
      if (msg.decodeError) return this.rejections.reject('heartbeat', msg, msg.decodeError);
      const parsed = heartbeatBody.safeParse(msg.data ?? {});
      if (!parsed.success) return this.rejections.reject('heartbeat', msg, describeIssues(parsed.error.issues));
      try {
        const agent = service.heartbeat(name, parsed.data, `nats:${name}`);
        msg.reply?.({ ok: true, status: agent.status });
      } catch (err) {
        if (err instanceof AgentNotFoundError)
          return this.rejections.reject('heartbeat', msg, `agent ${name} is not registered`);
        ctx.log.error({ err, agent: name }, 'heartbeat from the bus could not be stored');
        msg.reply?.({ ok: false, error: 'not stored' });
      }
    });
    const every = (ms: number, fn: () => void, what: string): void => {
      const t = setInterval(() => {
        try {
          fn();
        } catch (err) {
          logPartFailure(ctx.log, err, `${what} failed`);
        }
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(ctx.config.agents.stale_check_interval_ms, () => service.checkStaleness(), 'agent staleness check');
    every(ctx.config.agents.stale_check_interval_ms, () => service.checkLeases(), 'task lease check');
    if (ctx.config.agents.auto_assign)
      every(ctx.config.agents.assign_interval_ms, () => service.scheduleRound(), 'assignment round');
    service.scheduleRound();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.sub?.unsubscribe();
    this.sub = null;
    this.service.stop();
  }
}
