import type { SidecarContext } from '../context';
import type { EventInput } from '../events/event';
import { type Counter, type Histogram, SLOW_BUCKETS } from '../metrics/metrics-registry';
import {
  AGENT_STATUSES,
  type Agent,
  type AgentQuery,
  AgentsRepository,
  type AgentStatus,
  FAILURE_OUTCOMES,
  type FailureOutcome,
  type NewTask,
  type Performance,
  TASK_STATUSES,
  type Task,
  type TaskAttempt,
  type TaskFields,
  type TaskQuery,
  type TaskStatus,
} from './agents-repository';
import { logPartFailure } from '../store/store-health';

/** What the guardian reads to judge heartbeat staleness (its `heartbeat_staleness` rules). */
export interface AgentStalenessProvider {
  /** Agents marked down, or past their heartbeat window and about to be; offline agents are not stale. */
  staleAgents(): { agent: string; age_s: number }[];
}

export class AgentNotFoundError extends Error {
  override name = 'AgentNotFoundError';
  constructor(readonly agent: string) {
    super(`agent ${agent} not found`);
  }
}

export class TaskNotFoundError extends Error {
  override name = 'TaskNotFoundError';
  constructor(readonly taskId: number) {
    super(`task ${taskId} not found`);
  }
}

/** What a status change may ask for: a status, or `failed` (an attempt's outcome: retried or dead-lettered). */
export type TaskMove = TaskStatus | 'failed';

/** A task status change the lifecycle does not allow. */
export class TaskTransitionError extends Error {
  override name = 'TaskTransitionError';
  constructor(
    readonly taskId: number,
    readonly from: TaskStatus,
    readonly to: TaskMove,
    readonly allowed: readonly TaskMove[]
  ) {
    super(`task ${taskId} cannot go from ${from} to ${to}; allowed: ${allowed.join(', ') || 'none'}`);
  }
}

/** The request is well-formed but the state refuses it (unknown dependency, blocked task, unfit agent). */
export class AgentsConflictError extends Error {
  override name = 'AgentsConflictError';
  constructor(
    message: string,
    readonly details?: unknown
  ) {
    super(message);
  }
}

/**
 * Task lifecycle: queued → assigned → in_progress → done. `failed` is an attempt's outcome, not a
 * place to stay: the task goes back to the queue after a backoff, or to `dead_letter` once it has
 * failed `max_attempts` times. A dead letter is requeued (a fresh budget) or cancelled by an operator.
 */
export const TASK_TRANSITIONS: Record<TaskStatus, readonly TaskMove[]> = {
  queued: ['assigned', 'cancelled'],
  assigned: ['in_progress', 'done', 'failed', 'queued', 'cancelled'],
  in_progress: ['done', 'failed', 'queued', 'cancelled'],
  done: [],
  cancelled: [],
  dead_letter: ['queued', 'cancelled'],
};

/** Why a queue operation cannot be done now: a plan shows it as an interlock, a direct call throws it. */
export interface QueueProblem {
  code: string;
  message: string;
  kind: 'not_found' | 'transition' | 'conflict';
  details?: unknown;
  transition?: { from: TaskStatus; to: TaskMove; allowed: readonly TaskMove[] };
}

/** Throws the error that stands for the first problem (not found → 404, transition or conflict → 409). */
function refuse(taskId: number | null, agent: string | null, problems: readonly QueueProblem[]): void {
  const p = problems[0];
  if (!p) return;
  if (p.kind === 'not_found') {
    if (taskId !== null && p.code === 'unknown_task') throw new TaskNotFoundError(taskId);
    throw new AgentNotFoundError(agent ?? '');
  }
  if (p.kind === 'transition' && p.transition && taskId !== null)
    throw new TaskTransitionError(taskId, p.transition.from, p.transition.to, p.transition.allowed);
  throw new AgentsConflictError(p.message, p.details);
}

/** Counter increments gathered in a transaction, applied once it commits. */
/** How a task ended, as `lookout_tasks_finished_total` counts it. */
const FINISH_OUTCOMES = ['done', 'dead_letter', 'cancelled'] as const;
type FinishOutcome = (typeof FINISH_OUTCOMES)[number];

interface Tally {
  finished: Partial<Record<FinishOutcome, number>>;
  failed: Partial<Record<FailureOutcome, number>>;
  retried: number;
  durations: number[];
  /** Earliest retry time scheduled. */
  wakeAt: string | null;
}
const newTally = (): Tally => ({ finished: {}, failed: {}, retried: 0, durations: [], wakeAt: null });
const count = <K extends string>(m: Partial<Record<K, number>>, k: K): void => {
  m[k] = (m[k] ?? 0) + 1;
};

export interface AgentServiceOptions {
  /** Random numbers in [0, 1) for the backoff jitter (tests pass a fixed sequence). */
  random?: () => number;
}

export interface RegisterInput {
  name: string;
  capabilities: string[];
  priority_score: number;
  max_tasks?: number | undefined;
  heartbeat_window_s?: number | undefined;
  metadata?: Record<string, unknown> | undefined;
}

export interface HeartbeatInput {
  status?: 'idle' | 'busy' | 'offline' | undefined;
  performance?: Omit<Performance, 'updated_at'> | undefined;
}

export interface CreateTaskInput {
  title: string;
  max_attempts?: number | undefined;
  description?: string | undefined;
  priority?: number | undefined;
  category?: string | null | undefined;
  estimated_duration?: number | null | undefined;
  required_capabilities?: string[] | undefined;
  dependencies?: number[] | undefined;
}

export interface TaskUpdateInput {
  status: TaskMove;
  actual_duration?: number | undefined;
  result?: unknown;
  /** Why the attempt failed (with `failed`); kept as the task's last_error. */
  error?: string | undefined;
}

export interface Assignment {
  task: Task;
  agent: string;
}

/** Minimum time between two automatic assignment rounds. */
const ROUND_GAP_MS = 20;

export const tasksSubject = (agent: string): string => `lookout.tasks.${agent}`;

/**
 * Agent registry, heartbeats, the task queue and assignment. Every change is one SQLite
 * transaction that also appends its event (source `agents`), so state and feed never disagree.
 * Assignment: tasks in priority order (highest first, then oldest); for each, the agents that have
 * every required capability and spare capacity (`max_tasks`), ranked by priority_score, then by
 * current load, then by name. A task with an unfinished dependency is not considered.
 */
export class AgentService implements AgentStalenessProvider {
  readonly repo: AgentsRepository;
  private readonly taskDuration: Histogram;
  private readonly tasksFinished: Counter<'outcome'>;
  private readonly assignWait: Histogram;
  private readonly failedAttempts: Counter<'reason'>;
  private readonly retried: Counter;
  private readonly random: () => number;
  private roundScheduled = false;
  private lastRoundAt = 0;
  private stopped = false;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeAt: number | null = null;

  constructor(
    private readonly ctx: SidecarContext,
    opts: AgentServiceOptions = {}
  ) {
    this.repo = new AgentsRepository(ctx.db);
    this.random = opts.random ?? Math.random;
    const repo = this.repo;
    const cfg = (): SidecarContext['config']['agents'] => this.cfg;
    ctx.metrics.gauge({
      name: 'lookout_agents',
      help: 'Registered agents by status',
      labelNames: ['status'] as const,
      collect() {
        const counts = repo.countAgentsByStatus();
        for (const s of AGENT_STATUSES) this.set({ status: s }, counts[s] ?? 0);
      },
    });
    ctx.metrics.gauge({
      name: 'lookout_tasks',
      help: 'Tasks by status',
      labelNames: ['status'] as const,
      collect() {
        const counts = repo.countTasksByStatus();
        for (const s of TASK_STATUSES) this.set({ status: s }, counts[s] ?? 0);
      },
    });
    ctx.metrics.gauge({
      name: 'lookout_agent_heartbeat_age_seconds',
      help: 'Seconds since each registered agent last sent a heartbeat',
      labelNames: ['agent'] as const,
      collect() {
        this.reset();
        for (const a of repo.heartbeatAges(Date.now())) this.set({ agent: a.name }, Math.round(a.age_s * 1000) / 1000);
      },
    });
    ctx.metrics.gauge({
      name: 'lookout_agent_task_success_ratio',
      help: 'Per registered agent: attempts that ended done over attempts that ended done or failed, in the last agents.success_ratio_window_s (no series without any)',
      labelNames: ['agent'] as const,
      collect() {
        this.reset();
        const since = new Date(Date.now() - cfg().success_ratio_window_s * 1000).toISOString();
        for (const r of repo.outcomesByAgent(since)) {
          if (r.done + r.failed > 0) this.set({ agent: r.agent }, r.done / (r.done + r.failed));
        }
      },
    });
    this.taskDuration = ctx.metrics.histogram({
      name: 'lookout_task_duration_seconds',
      help: 'Task run time (actual_duration, or start to finish) of attempts that ended done or failed',
      buckets: SLOW_BUCKETS,
    });
    this.tasksFinished = ctx.metrics.counter({
      name: 'lookout_tasks_finished_total',
      help: 'Tasks that ended, by outcome (done; dead_letter: failed max_attempts times; cancelled)',
      labelNames: ['outcome'] as const,
    });
    for (const outcome of FINISH_OUTCOMES) this.tasksFinished.inc({ outcome }, 0);
    this.assignWait = ctx.metrics.histogram({
      name: 'lookout_task_assignment_wait_seconds',
      help: 'Time a task waited in the queue (from creation or requeue) before an agent got it',
      buckets: SLOW_BUCKETS,
    });
    this.failedAttempts = ctx.metrics.counter({
      name: 'lookout_tasks_failed_total',
      help: 'Task attempts that failed, by reason (failed: reported by the agent; lease_expired; agent_down)',
      labelNames: ['reason'] as const,
    });
    this.retried = ctx.metrics.counter({
      name: 'lookout_tasks_retried_total',
      help: 'Failed attempts after which the task was queued again for another attempt (after a backoff)',
    });
    for (const r of FAILURE_OUTCOMES) this.failedAttempts.inc({ reason: r }, 0);
  }

  private get cfg(): SidecarContext['config']['agents'] {
    return this.ctx.config.agents;
  }

  private now(): string {
    return new Date().toISOString();
  }

  /** One transaction whose events reach listeners (SSE, outbox) only once it commits. */
  private tx<T>(fn: () => T): T {
    return this.ctx.events.transaction(fn);
  }

  private leaseUntil(now: string): string {
    return new Date(Date.parse(now) + this.cfg.task_lease_s * 1000).toISOString();
  }

  /**
   * Delay before the attempt after the `failures`-th failure: `retry_backoff_ms × 2^(failures−1)`,
   * capped at `retry_backoff_max_ms`, then scaled by a random factor in `[1 − retry_jitter, 1)` so
   * tasks that failed together do not come back together.
   */
  backoffMs(failures: number): number {
    const { retry_backoff_ms: base, retry_backoff_max_ms: max, retry_jitter: jitter } = this.cfg;
    const cap = Math.min(max, base * 2 ** Math.max(0, failures - 1));
    return Math.round(cap * (1 - jitter + jitter * this.random()));
  }

  private event(
    kind: string,
    subject: string,
    data: Record<string, unknown>,
    actor: string | null,
    severity: EventInput['severity'] = 'info'
  ): EventInput {
    return { source: 'agents', kind, subject, data, actor, severity };
  }

  /** Counters move only for what committed. */
  private record(t: Tally): void {
    for (const [outcome, n] of Object.entries(t.finished)) this.tasksFinished.inc({ outcome }, n);
    for (const [reason, n] of Object.entries(t.failed)) this.failedAttempts.inc({ reason }, n);
    if (t.retried) this.retried.inc(t.retried);
    for (const d of t.durations) this.taskDuration.observe(d);
    if (t.wakeAt) this.wakeForRetry(Date.parse(t.wakeAt));
  }

  /** Runs an assignment round when the earliest retry falls due (the periodic round is the backstop). */
  private wakeForRetry(at: number): void {
    if (this.stopped || (this.wakeAt !== null && this.wakeAt <= at)) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = null;
        this.wakeAt = null;
        this.scheduleRound();
        const next = this.repo.nextRetryAt();
        if (next && Date.parse(next) > Date.now()) this.wakeForRetry(Date.parse(next));
      },
      Math.max(0, at - Date.now())
    );
    this.wakeTimer.unref();
  }

  /** Sets the agent idle when it no longer holds anything. */
  private settleAgent(agent: string | null, now: string): void {
    if (!agent) return;
    const a = this.repo.getAgent(agent);
    if (a && a.status === 'busy' && a.load === 0) this.repo.setAgentStatus(agent, 'idle', now);
  }

  /**
   * Ends a held task's attempt as a failure: back to the queue after a backoff, or to dead_letter
   * once it has failed max_attempts times. Runs inside the caller's transaction.
   */
  private failAttempt(
    t: Task,
    outcome: FailureOutcome,
    error: string,
    actor: string | null,
    now: string,
    tally: Tally,
    fields: TaskFields = {}
  ): 'queued' | 'dead_letter' {
    const failures = t.failures + 1;
    const dead = failures >= t.max_attempts;
    const delay = dead ? 0 : this.backoffMs(failures);
    const retryAt = dead ? null : new Date(Date.parse(now) + delay).toISOString();
    this.repo.endAttempt(t.id, outcome, now, error, retryAt);
    const to = dead ? 'dead_letter' : 'queued';
    const moved = this.repo.updateTaskStatus(
      t.id,
      t.status,
      to,
      { ...fields, failures, last_error: error, retry_at: retryAt, ...(dead ? { completed_at: now } : {}) },
      now
    );
    if (!moved) throw new AgentsConflictError(`task ${t.id} changed concurrently; retry`);
    if (dead) this.repo.clearAgent(t.id);
    this.settleAgent(t.agent, now);
    count(tally.failed, outcome);
    const base = { task_id: t.id, agent: t.agent, attempt: t.attempts, failures, max_attempts: t.max_attempts };
    const events: EventInput[] = [
      this.event(
        'task.failed',
        `task/${t.id}`,
        {
          ...base,
          from: t.status,
          reason: outcome,
          error,
          to,
          retry_at: retryAt,
          ...(dead ? {} : { delay_ms: delay }),
        },
        actor,
        'warning'
      ),
    ];
    if (dead) {
      count(tally.finished, 'dead_letter');
      events.push(
        this.event(
          'task.dead_lettered',
          `task/${t.id}`,
          { ...base, title: t.title, last_error: error },
          actor,
          'warning'
        )
      );
    } else {
      tally.retried++;
      if (!tally.wakeAt || retryAt! < tally.wakeAt) tally.wakeAt = retryAt;
    }
    this.ctx.events.appendMany(events);
    return to;
  }

  // ---- agents -------------------------------------------------------------------------------

  getAgent(name: string): Agent {
    const a = this.repo.getAgent(name);
    if (!a) throw new AgentNotFoundError(name);
    return a;
  }

  listAgents(q: AgentQuery): (Agent & { rowid: number })[] {
    return this.repo.listAgents(q);
  }

  /** Registers an agent, or re-registers it (new capabilities; a down agent comes back). */
  register(input: RegisterInput, actor: string | null): { agent: Agent; created: boolean } {
    const now = this.now();
    const spec = {
      name: input.name,
      capabilities: [...new Set(input.capabilities)].sort(),
      priority_score: input.priority_score,
      max_tasks: input.max_tasks ?? this.cfg.max_tasks_per_agent,
      heartbeat_window_s: input.heartbeat_window_s ?? this.cfg.heartbeat_window_s,
      metadata: input.metadata ?? {},
    };
    const created = this.tx(() => {
      const existing = this.repo.getAgent(input.name);
      if (existing) {
        const status: AgentStatus = existing.load > 0 ? 'busy' : 'idle';
        this.repo.updateRegistration(spec, status, now);
        this.repo.renewLeases(input.name, this.leaseUntil(now));
      } else {
        this.repo.insertAgent(spec, now);
      }
      this.ctx.events.append(
        this.event(
          existing ? 'agent.reregistered' : 'agent.registered',
          input.name,
          {
            agent: input.name,
            capabilities: spec.capabilities,
            priority_score: spec.priority_score,
            max_tasks: spec.max_tasks,
            ...(existing && existing.status === 'down' ? { recovered: true } : {}),
          },
          actor
        )
      );
      return !existing;
    });
    this.scheduleRound();
    return { agent: this.getAgent(input.name), created };
  }

  updateAgent(
    name: string,
    patch: {
      capabilities?: string[] | undefined;
      priority_score?: number | undefined;
      max_tasks?: number | undefined;
      heartbeat_window_s?: number | undefined;
      status?: 'idle' | 'busy' | 'offline' | undefined;
      performance?: HeartbeatInput['performance'];
    },
    actor: string | null
  ): Agent {
    this.tx(() => {
      this.getAgent(name);
      const now = this.now();
      this.repo.patchAgent(
        name,
        {
          ...(patch.capabilities ? { capabilities: [...new Set(patch.capabilities)].sort() } : {}),
          ...(patch.priority_score !== undefined ? { priority_score: patch.priority_score } : {}),
          ...(patch.max_tasks !== undefined ? { max_tasks: patch.max_tasks } : {}),
          ...(patch.heartbeat_window_s !== undefined ? { heartbeat_window_s: patch.heartbeat_window_s } : {}),
        },
        now
      );
      if (
        patch.capabilities ||
        patch.priority_score !== undefined ||
        patch.max_tasks !== undefined ||
        patch.heartbeat_window_s !== undefined
      ) {
        this.ctx.events.append(
          this.event(
            'agent.updated',
            name,
            { agent: name, ...withoutUndefined({ ...patch, status: undefined, performance: undefined }) },
            actor
          )
        );
      }
      if (patch.status || patch.performance)
        this.applyHeartbeat(name, { status: patch.status, performance: patch.performance }, actor, false);
    });
    this.scheduleRound();
    return this.getAgent(name);
  }

  /** A heartbeat: proof of life, optionally with a status and performance numbers; renews the agent's task leases. */
  heartbeat(name: string, input: HeartbeatInput, actor: string | null): Agent {
    this.tx(() => this.applyHeartbeat(name, input, actor, true));
    this.scheduleRound();
    return this.getAgent(name);
  }

  private applyHeartbeat(name: string, input: HeartbeatInput, actor: string | null, beat: boolean): void {
    const agent = this.getAgent(name);
    const now = this.now();
    const performance = input.performance
      ? { ...agent.performance, ...withoutUndefined(input.performance), updated_at: now }
      : null;
    if (beat || performance) this.repo.heartbeat(name, performance, beat ? now : agent.last_heartbeat);
    if (beat) this.repo.renewLeases(name, this.leaseUntil(now));
    let next: AgentStatus = agent.status;
    if (input.status === 'offline') next = 'offline';
    else if (input.status || (beat && agent.status === 'down'))
      next = agent.load > 0 ? 'busy' : (input.status ?? 'idle');
    if (next === agent.status) return;
    this.repo.setAgentStatus(name, next, now);
    const requeued = next === 'offline' ? this.repo.requeueAgentTasks(name, now) : [];
    const kind = agent.status === 'down' ? 'agent.recovered' : 'agent.status';
    this.ctx.events.append(
      this.event(kind, name, { agent: name, from: agent.status, to: next, requeued_tasks: requeued }, actor)
    );
  }

  /** Why the agent cannot be removed now (it must exist). */
  deregisterProblems(name: string): QueueProblem[] {
    return this.repo.getAgent(name)
      ? []
      : [{ code: 'unknown_agent', message: `agent ${name} not found`, kind: 'not_found' }];
  }

  /** Removes an agent; its tasks go back to the queue (given back, not failed). */
  deregister(name: string, actor: string | null, reason?: string): { requeued: number[] } {
    const requeued = this.tx(() => {
      refuse(null, name, this.deregisterProblems(name));
      const ids = this.repo.requeueAgentTasks(name, this.now());
      this.repo.deleteAgent(name);
      this.ctx.events.append(
        this.event('agent.removed', name, { agent: name, requeued_tasks: ids, ...(reason ? { reason } : {}) }, actor)
      );
      return ids;
    });
    for (const id of requeued) this.revoke(name, id, 'agent removed');
    this.scheduleRound();
    return { requeued };
  }

  /** Why the agent cannot be drained (`draining` true) or given work again (false) now. */
  drainProblems(name: string, draining: boolean): QueueProblem[] {
    const a = this.repo.getAgent(name);
    if (!a) return [{ code: 'unknown_agent', message: `agent ${name} not found`, kind: 'not_found' }];
    if (a.draining === draining)
      return [
        {
          code: draining ? 'already_draining' : 'not_draining',
          message: draining ? `agent ${name} is already draining` : `agent ${name} is not draining`,
          kind: 'conflict',
        },
      ];
    return [];
  }

  /**
   * Drain: the agent keeps and finishes what it holds but is given nothing new (automatic or manual)
   * until it is undrained. A drain outlives re-registration: an agent restarted mid-decommission stays drained.
   */
  setDraining(name: string, draining: boolean, actor: string | null, reason: string): Agent {
    this.tx(() => {
      refuse(null, name, this.drainProblems(name, draining));
      const a = this.getAgent(name);
      this.repo.setDraining(name, draining, this.now());
      this.ctx.events.append(
        this.event(
          draining ? 'agent.draining' : 'agent.undrained',
          name,
          { agent: name, reason, holds: this.repo.heldBy(name) },
          actor,
          draining ? 'warning' : 'info'
        )
      );
      return a;
    });
    if (!draining) this.scheduleRound();
    return this.getAgent(name);
  }

  /**
   * Marks agents whose heartbeat is older than their window as down (one transaction per agent).
   * Each task a down agent held counts as a failed attempt (`agent_down`): retried after a backoff
   * or dead-lettered. Returns the agents marked.
   */
  checkStaleness(nowMs = Date.now()): { agent: string; age_s: number; requeued: number[] }[] {
    const out: { agent: string; age_s: number; requeued: number[] }[] = [];
    for (const s of this.repo.staleCandidates(nowMs)) {
      const tally = newTally();
      const r = this.tx(() => {
        const a = this.repo.getAgent(s.name);
        if (!a || (a.status !== 'idle' && a.status !== 'busy')) return null;
        const now = this.now();
        this.repo.setAgentStatus(s.name, 'down', now);
        const requeued: number[] = [];
        const dead: number[] = [];
        const error = `agent ${s.name} stopped heartbeating (last heartbeat ${a.last_heartbeat}, window ${a.heartbeat_window_s}s)`;
        for (const id of this.repo.heldBy(s.name)) {
          const t = this.repo.getTask(id)!;
          (this.failAttempt(t, 'agent_down', error, null, now, tally) === 'queued' ? requeued : dead).push(id);
        }
        this.ctx.events.append(
          this.event(
            'agent.down',
            s.name,
            {
              agent: s.name,
              age_s: Math.round(s.age_s * 10) / 10,
              heartbeat_window_s: a.heartbeat_window_s,
              last_heartbeat: a.last_heartbeat,
              requeued_tasks: requeued,
              dead_lettered_tasks: dead,
            },
            null,
            'warning'
          )
        );
        return requeued;
      });
      this.record(tally);
      if (r) out.push({ agent: s.name, age_s: s.age_s, requeued: r });
    }
    return out;
  }

  /**
   * Requeues, as a failed attempt (`lease_expired`), every held task whose lease lapsed: its agent
   * sent no heartbeat (nor touched the task) for `agents.task_lease_s`. Returns the task ids.
   */
  checkLeases(nowMs = Date.now()): number[] {
    const now = new Date(nowMs).toISOString();
    const out: number[] = [];
    for (const id of this.repo.expiredLeases(now)) {
      const tally = newTally();
      const done = this.tx(() => {
        const t = this.repo.getTask(id);
        if (!t || !t.lease_expires_at || t.lease_expires_at >= now) return false;
        if (t.status !== 'assigned' && t.status !== 'in_progress') return false;
        const error = `lease expired at ${t.lease_expires_at}: agent ${t.agent} sent no heartbeat for ${this.cfg.task_lease_s}s`;
        this.failAttempt(t, 'lease_expired', error, null, this.now(), tally);
        return true;
      });
      this.record(tally);
      if (done) {
        out.push(id);
      }
    }
    return out;
  }

  staleAgents(): { agent: string; age_s: number }[] {
    return this.repo
      .heartbeatAges(Date.now())
      .filter((a) => a.status === 'down')
      .map((a) => ({ agent: a.name, age_s: Math.round(a.age_s * 10) / 10 }))
      .concat(
        this.repo.staleCandidates(Date.now()).map((s) => ({ agent: s.name, age_s: Math.round(s.age_s * 10) / 10 }))
      );
  }

  // ---- tasks --------------------------------------------------------------------------------

  getTask(id: number): Task {
    const t = this.repo.getTask(id);
    if (!t) throw new TaskNotFoundError(id);
    return t;
  }

  listTasks(q: TaskQuery): Task[] {
    return this.repo.listTasks(q);
  }

  /** The task's attempts, oldest first: agent, start, end, outcome, error, scheduled retry. */
  attempts(id: number): TaskAttempt[] {
    this.getTask(id);
    return this.repo.listAttempts(id);
  }

  createTask(input: CreateTaskInput, actor: string | null): Task {
    const deps = [...new Set(input.dependencies ?? [])];
    const id = this.tx(() => {
      const known = this.repo.existingTaskIds(deps);
      const missing = deps.filter((d) => !known.has(d));
      if (missing.length) throw new AgentsConflictError(`unknown dependencies: ${missing.join(', ')}`, { missing });
      const t: NewTask = {
        title: input.title,
        description: input.description ?? '',
        priority: input.priority ?? 0,
        category: input.category ?? null,
        estimated_duration: input.estimated_duration ?? null,
        required_capabilities: [...new Set(input.required_capabilities ?? [])].sort(),
        dependencies: deps,
        created_by: actor,
        max_attempts: input.max_attempts ?? this.cfg.task_max_attempts,
      };
      const newId = this.repo.insertTask(t, this.now());
      this.ctx.events.append(
        this.event(
          'task.created',
          `task/${newId}`,
          {
            task_id: newId,
            title: t.title,
            priority: t.priority,
            category: t.category,
            required_capabilities: t.required_capabilities,
            dependencies: deps,
            max_attempts: t.max_attempts,
          },
          actor
        )
      );
      return newId;
    });
    this.scheduleRound();
    return this.getTask(id);
  }

  /**
   * A status change by the agent holding the task (or an operator). `failed` ends the attempt as a
   * failure (retry after a backoff, or dead letter); `queued` gives the task back without a failure
   * (from a dead letter: an operator's requeue, with a fresh budget).
   */
  updateTask(id: number, input: TaskUpdateInput, actor: string | null): Task {
    const tally = newTally();
    let revoked: { agent: string; why: string } | null = null;
    this.tx(() => {
      const t = this.getTask(id);
      const to = input.status;
      if (to === t.status && to !== 'queued') {
        // Idempotent re-report (a retried PUT): only the duration/result may be filled in.
        return;
      }
      const allowed = TASK_TRANSITIONS[t.status];
      if (!allowed.includes(to) || to === 'assigned')
        throw new TaskTransitionError(
          id,
          t.status,
          to,
          allowed.filter((s) => s !== 'assigned')
        );
      const now = this.now();
      const fields: TaskFields = {};
      if (input.result !== undefined) fields.result = input.result;
      if (to === 'done' || to === 'failed' || to === 'cancelled') {
        const since = t.started_at ?? t.assigned_at;
        const measured = since ? (Date.parse(now) - Date.parse(since)) / 1000 : null;
        fields.actual_duration = input.actual_duration ?? measured;
        if (to !== 'cancelled' && fields.actual_duration !== null && fields.actual_duration !== undefined)
          tally.durations.push(fields.actual_duration);
      }
      if (to === 'failed') {
        const error = input.error ?? describeResult(input.result) ?? 'failed (the agent gave no error)';
        this.failAttempt(t, 'failed', error, actor, now, tally, fields);
        return;
      }
      if (to === 'in_progress') {
        fields.started_at = now;
        fields.lease_expires_at = this.leaseUntil(now);
      }
      if (to === 'done' || to === 'cancelled') fields.completed_at = now;
      if (to === 'queued') {
        fields.retry_at = null;
        if (t.status === 'dead_letter') fields.failures = 0;
      }
      if (!this.repo.updateTaskStatus(id, t.status, to, fields, now))
        throw new AgentsConflictError(`task ${id} changed concurrently; retry`);
      if ((t.status === 'assigned' || t.status === 'in_progress') && to !== 'in_progress')
        this.repo.endAttempt(id, to === 'done' ? 'done' : to === 'cancelled' ? 'cancelled' : 'returned', now);
      if (to === 'done' || to === 'cancelled') count(tally.finished, to);
      if (t.agent && (to === 'done' || to === 'cancelled' || to === 'queued')) this.settleAgent(t.agent, now);
      if (t.agent && actor !== t.agent && (to === 'cancelled' || to === 'queued'))
        revoked = { agent: t.agent, why: to === 'cancelled' ? 'cancelled' : 'requeued' };
      const kind = to === 'queued' ? 'task.requeued' : `task.${to}`;
      this.ctx.events.append(
        this.event(
          kind,
          `task/${id}`,
          {
            task_id: id,
            agent: t.agent,
            from: t.status,
            to,
            ...(fields.actual_duration !== undefined ? { actual_duration: fields.actual_duration } : {}),
            ...(fields.failures === 0 ? { failures_reset: true } : {}),
          },
          actor
        )
      );
    });
    this.record(tally);
    if (revoked) this.revoke((revoked as { agent: string }).agent, id, (revoked as { why: string }).why);
    this.scheduleRound();
    return this.getTask(id);
  }

  /** Why an operator cannot requeue the task now. */
  requeueProblems(id: number): QueueProblem[] {
    const t = this.repo.getTask(id);
    if (!t) return [{ code: 'unknown_task', message: `task ${id} not found`, kind: 'not_found' }];
    const ok = t.status === 'dead_letter' || t.status === 'assigned' || t.status === 'in_progress';
    if (ok || (t.status === 'queued' && t.retry_at)) return [];
    return [
      {
        code: 'invalid_state',
        message:
          t.status === 'queued'
            ? `task ${id} is already queued with no retry pending`
            : `task ${id} is ${t.status}: only a dead letter, a held task or a task waiting to retry can be requeued`,
        kind: 'transition',
        transition: { from: t.status, to: 'queued', allowed: TASK_TRANSITIONS[t.status] },
      },
    ];
  }

  /**
   * An operator's requeue: a dead letter goes back with a fresh failure budget; a held task is taken
   * from its agent (told on `lookout.tasks.<agent>`); a task waiting out its backoff is retried now.
   */
  requeueTask(id: number, actor: string | null, reason: string): Task {
    let revokedFrom: string | null = null;
    this.tx(() => {
      refuse(id, null, this.requeueProblems(id));
      const t = this.getTask(id);
      const now = this.now();
      if (t.status === 'queued') {
        this.repo.setRetryAt(id, null, now);
      } else {
        const fields: TaskFields = { retry_at: null, ...(t.status === 'dead_letter' ? { failures: 0 } : {}) };
        if (!this.repo.updateTaskStatus(id, t.status, 'queued', fields, now))
          throw new AgentsConflictError(`task ${id} changed concurrently; retry`);
        if (t.status !== 'dead_letter') {
          this.repo.endAttempt(id, 'returned', now);
          this.settleAgent(t.agent, now);
          revokedFrom = t.agent;
        }
      }
      this.ctx.events.append(
        this.event(
          'task.requeued',
          `task/${id}`,
          {
            task_id: id,
            agent: t.status === 'dead_letter' ? null : t.agent,
            from: t.status,
            to: 'queued',
            reason,
            ...(t.status === 'dead_letter' ? { failures_reset: true } : {}),
            ...(t.status === 'queued' ? { retry_now: true } : {}),
          },
          actor
        )
      );
    });
    if (revokedFrom) this.revoke(revokedFrom, id, 'requeued');
    this.scheduleRound();
    return this.getTask(id);
  }

  /** Why the task cannot be cancelled now. */
  cancelProblems(id: number): QueueProblem[] {
    const t = this.repo.getTask(id);
    if (!t) return [{ code: 'unknown_task', message: `task ${id} not found`, kind: 'not_found' }];
    if (TASK_TRANSITIONS[t.status].includes('cancelled')) return [];
    return [
      {
        code: 'invalid_state',
        message: `task ${id} is ${t.status}: it cannot be cancelled`,
        kind: 'transition',
        transition: { from: t.status, to: 'cancelled', allowed: TASK_TRANSITIONS[t.status] },
      },
    ];
  }

  /** An operator's cancel, with a reason; an agent holding the task is told on `lookout.tasks.<agent>`. */
  cancelTask(id: number, actor: string | null, reason: string): Task {
    let revokedFrom: string | null = null;
    const tally = newTally();
    this.tx(() => {
      refuse(id, null, this.cancelProblems(id));
      const t = this.getTask(id);
      const now = this.now();
      if (!this.repo.updateTaskStatus(id, t.status, 'cancelled', { completed_at: now, retry_at: null }, now))
        throw new AgentsConflictError(`task ${id} changed concurrently; retry`);
      if (t.status === 'assigned' || t.status === 'in_progress') {
        this.repo.endAttempt(id, 'cancelled', now);
        this.settleAgent(t.agent, now);
        revokedFrom = t.agent;
      }
      this.ctx.events.append(
        this.event(
          'task.cancelled',
          `task/${id}`,
          { task_id: id, agent: t.agent, from: t.status, to: 'cancelled', reason },
          actor
        )
      );
      count(tally.finished, 'cancelled');
    });
    this.record(tally);
    if (revokedFrom) this.revoke(revokedFrom, id, 'cancelled');
    this.scheduleRound();
    return this.getTask(id);
  }

  /**
   * Why the task cannot be assigned (to `agentName`, or to the best available agent) now. With no
   * problem, `agent` is the agent it would go to.
   */
  assignProblems(id: number, agentName: string | undefined): { problems: QueueProblem[]; agent: Agent | null } {
    const t = this.repo.getTask(id);
    if (!t)
      return { problems: [{ code: 'unknown_task', message: `task ${id} not found`, kind: 'not_found' }], agent: null };
    if (t.status !== 'queued' && !(t.status === 'assigned' && agentName)) {
      return {
        problems: [
          {
            code: 'invalid_state',
            message: `task ${id} cannot go from ${t.status} to assigned; allowed: ${TASK_TRANSITIONS[t.status].join(', ') || 'none'}`,
            kind: 'transition',
            transition: { from: t.status, to: 'assigned', allowed: TASK_TRANSITIONS[t.status] },
          },
        ],
        agent: null,
      };
    }
    const blocked = this.repo.unfinishedDependencies(id);
    if (blocked.length)
      return {
        problems: [
          {
            code: 'unfinished_dependencies',
            message: `task ${id} waits for unfinished dependencies: ${blocked.join(', ')}`,
            kind: 'conflict',
            details: { unfinished_dependencies: blocked },
          },
        ],
        agent: null,
      };
    if (!agentName) {
      const chosen = pickAgent(this.repo.assignableAgents().sort(byScore), t.required_capabilities, new Map());
      return chosen
        ? { problems: [], agent: chosen }
        : {
            problems: [
              {
                code: 'no_agent',
                message: `no available agent has capabilities ${t.required_capabilities.join(', ') || '(any)'} and spare capacity`,
                kind: 'conflict',
              },
            ],
            agent: null,
          };
    }
    const a = this.repo.getAgent(agentName);
    if (!a)
      return {
        problems: [{ code: 'unknown_agent', message: `agent ${agentName} not found`, kind: 'not_found' }],
        agent: null,
      };
    const problems: QueueProblem[] = [];
    if (a.status === 'offline' || a.status === 'down')
      problems.push({ code: 'agent_unavailable', message: `agent ${agentName} is ${a.status}`, kind: 'conflict' });
    if (a.draining)
      problems.push({
        code: 'agent_draining',
        message: `agent ${agentName} is draining: it takes no new work`,
        kind: 'conflict',
      });
    const missing = t.required_capabilities.filter((c) => !a.capabilities.includes(c));
    if (missing.length)
      problems.push({
        code: 'missing_capabilities',
        message: `agent ${agentName} lacks capabilities: ${missing.join(', ')}`,
        kind: 'conflict',
        details: { missing_capabilities: missing },
      });
    if (t.status === 'assigned' && t.agent === agentName)
      problems.push({
        code: 'already_assigned',
        message: `task ${id} is already assigned to ${agentName}`,
        kind: 'conflict',
      });
    return { problems, agent: problems.length ? null : a };
  }

  /**
   * Manual assignment (operator). With an agent: that agent, which must be available, not draining
   * and have the task's capabilities (an assigned task is moved to it); without: the automatic
   * choice for this one task. A task waiting out a retry backoff is assigned at once.
   */
  assignTask(id: number, agentName: string | undefined, actor: string | null, reason?: string): Task {
    let from: string | null = null;
    const result = this.tx((): Assignment & { waited: number } => {
      const check = this.assignProblems(id, agentName);
      refuse(id, agentName ?? null, check.problems);
      const chosen = check.agent!;
      const t = this.getTask(id);
      const now = this.now();
      if (t.status === 'assigned') {
        // Reassignment: back to the queue first so the guarded assign below applies.
        this.repo.updateTaskStatus(id, 'assigned', 'queued', {}, now);
        this.repo.endAttempt(id, 'returned', now);
        this.settleAgent(t.agent, now);
        from = t.agent;
      }
      const queuedAt = this.repo.getTask(id)!.queued_at;
      if (!this.repo.assign(id, chosen.name, now, this.leaseUntil(now)))
        throw new AgentsConflictError(`task ${id} changed concurrently; retry`);
      if (chosen.status === 'idle') this.repo.setAgentStatus(chosen.name, 'busy', now);
      const waited = (Date.parse(now) - Date.parse(queuedAt)) / 1000;
      this.ctx.events.append(
        this.event(
          'task.assigned',
          `task/${id}`,
          {
            task_id: id,
            agent: chosen.name,
            manual: true,
            wait_s: waited,
            ...(from ? { from_agent: from } : {}),
            ...(reason ? { reason } : {}),
          },
          actor
        )
      );
      return { task: this.getTask(id), agent: chosen.name, waited };
    });
    this.assignWait.observe(result.waited);
    if (from) this.revoke(from, id, 'reassigned');
    this.push([result]);
    return result.task;
  }

  /**
   * One automatic assignment round in one SQLite transaction: the guarded UPDATE (status must still
   * be queued) and the single writer make double assignment impossible.
   */
  assignRound(): Assignment[] {
    const assigned = this.tx((): { id: number; agent: string; waited: number }[] => {
      const agents = this.repo.assignableAgents();
      if (!agents.length) return [];
      // Best first: priority_score, then name; load breaks ties among equal scores when picking.
      agents.sort(byScore);
      const load = new Map(agents.map((a) => [a.name, a.load]));
      const free = agents;
      const now = this.now();
      const nowMs = Date.parse(now);
      const lease = this.leaseUntil(now);
      const noCandidate = new Set<string>();
      const out: { id: number; agent: string; waited: number }[] = [];
      const events: EventInput[] = [];
      let cursor = { p: Number.MAX_SAFE_INTEGER, id: 0 };
      let scanned = 0;
      while (free.length && scanned < this.cfg.round_size) {
        const page = this.repo.readyPage(cursor.p, cursor.id, Math.min(1000, this.cfg.round_size - scanned), now);
        if (!page.length) break;
        scanned += page.length;
        for (const row of page) {
          if (!free.length) break;
          const key = row.required_capabilities;
          if (noCandidate.has(key)) continue;
          const required = JSON.parse(key) as string[];
          const agent = pickAgent(free, required, load);
          if (!agent) {
            noCandidate.add(key);
            continue;
          }
          if (!this.repo.assign(row.id, agent.name, now, lease)) continue;
          const n = (load.get(agent.name) ?? 0) + 1;
          load.set(agent.name, n);
          if (n >= agent.max_tasks) free.splice(free.indexOf(agent), 1);
          if (agent.status === 'idle') {
            this.repo.setAgentStatus(agent.name, 'busy', now);
            agent.status = 'busy';
          }
          const waited = (nowMs - Date.parse(row.queued_at)) / 1000;
          out.push({ id: row.id, agent: agent.name, waited });
          events.push(
            this.event(
              'task.assigned',
              `task/${row.id}`,
              { task_id: row.id, agent: agent.name, priority: row.priority, wait_s: waited },
              null
            )
          );
        }
        const last = page[page.length - 1]!;
        cursor = { p: last.priority, id: last.id };
      }
      if (events.length) this.ctx.events.appendMany(events);
      return out;
    });
    for (const a of assigned) this.assignWait.observe(a.waited);
    const result = assigned.map((a) => ({ task: this.getTask(a.id), agent: a.agent }));
    this.push(result);
    return result;
  }

  /** Tells each agent about its new task on `lookout.tasks.<agent>`; agents may also poll REST. */
  private push(assignments: Assignment[]): void {
    for (const a of assignments) this.tell(a.agent, { type: 'task.assigned', task: a.task });
  }

  /** Tells an agent a task it held was taken from it (cancelled, requeued, reassigned, agent removed). */
  private revoke(agent: string, taskId: number, why: string): void {
    this.tell(agent, { type: 'task.revoked', task_id: taskId, reason: why });
  }

  private tell(agent: string, message: Record<string, unknown>): void {
    this.ctx.bus.publish(tasksSubject(agent), message).catch((err: unknown) => {
      this.ctx.log.debug({ err, agent }, 'task message not pushed (the agent can poll)');
    });
  }

  /**
   * Coalesces triggers (new task, new agent, completion) into one round: at most one automatic
   * round per ROUND_GAP_MS, so a burst of thousands of completions costs a few rounds, not thousands.
   */
  scheduleRound(): void {
    if (!this.cfg.auto_assign || this.roundScheduled || this.stopped) return;
    this.roundScheduled = true;
    const delay = Math.max(0, this.lastRoundAt + ROUND_GAP_MS - Date.now());
    const timer = setTimeout(() => {
      this.roundScheduled = false;
      if (this.stopped) return;
      this.lastRoundAt = Date.now();
      try {
        this.assignRound();
      } catch (err) {
        logPartFailure(this.ctx.log, err, 'assignment round failed');
      }
    }, delay);
    timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    this.wakeAt = null;
  }

  resume(): void {
    this.stopped = false;
    const next = this.repo.nextRetryAt();
    if (next) this.wakeForRetry(Date.parse(next));
  }
}

/** A short error text from a failed task's result, when it carries one. */
function describeResult(result: unknown): string | null {
  if (result === undefined || result === null) return null;
  if (typeof result === 'string') return result.slice(0, 2000);
  if (typeof result === 'object' && !Array.isArray(result)) {
    const e = (result as Record<string, unknown>)['error'] ?? (result as Record<string, unknown>)['message'];
    if (typeof e === 'string') return e.slice(0, 2000);
  }
  return JSON.stringify(result).slice(0, 2000);
}

function byScore(a: Agent, b: Agent): number {
  return b.priority_score - a.priority_score || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** Best agent among `free` for the required capabilities: score, then load, then name (free is sorted). */
function pickAgent(free: readonly Agent[], required: readonly string[], load: Map<string, number>): Agent | undefined {
  let best: Agent | undefined;
  let bestLoad = Infinity;
  for (const a of free) {
    if (best && a.priority_score < best.priority_score) break;
    const l = load.get(a.name) ?? a.load;
    if (l >= a.max_tasks) continue;
    if (!required.every((c) => a.capabilities.includes(c))) continue;
    if (!best || l < bestLoad) {
      best = a;
      bestLoad = l;
    }
  }
  return best;
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
