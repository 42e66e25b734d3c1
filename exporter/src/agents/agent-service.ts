import type { SidecarContext } from '../context';
import type { EventInput } from '../events/event';
import { type Counter, type Histogram, SLOW_BUCKETS } from '../metrics/metrics-registry';
import {
  AGENT_STATUSES,
  type Agent,
  type AgentQuery,
  AgentsRepository,
  type AgentStatus,
  type NewTask,
  type Performance,
  TASK_STATUSES,
  type Task,
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

/** A task status change the lifecycle does not allow. */
export class TaskTransitionError extends Error {
  override name = 'TaskTransitionError';
  constructor(
    readonly taskId: number,
    readonly from: TaskStatus,
    readonly to: TaskStatus,
    readonly allowed: readonly TaskStatus[]
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

/** Task lifecycle: queued → assigned → in_progress → done | failed; back to queued when requeued. */
export const TASK_TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  queued: ['assigned', 'cancelled'],
  assigned: ['in_progress', 'done', 'failed', 'queued', 'cancelled'],
  in_progress: ['done', 'failed', 'queued', 'cancelled'],
  done: [],
  failed: ['queued'],
  cancelled: [],
};

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
  description?: string | undefined;
  priority?: number | undefined;
  category?: string | null | undefined;
  estimated_duration?: number | null | undefined;
  required_capabilities?: string[] | undefined;
  dependencies?: number[] | undefined;
}

export interface TaskUpdateInput {
  status: TaskStatus;
  actual_duration?: number | undefined;
  result?: unknown;
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
  private roundScheduled = false;
  private lastRoundAt = 0;
  private stopped = false;

  constructor(private readonly ctx: SidecarContext) {
    this.repo = new AgentsRepository(ctx.db);
    const repo = this.repo;
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
    this.taskDuration = ctx.metrics.histogram({
      name: 'lookout_task_duration_seconds',
      help: 'Task run time (actual_duration, or start to finish) of tasks that ended done or failed',
      buckets: SLOW_BUCKETS,
    });
    this.tasksFinished = ctx.metrics.counter({
      name: 'lookout_tasks_finished_total',
      help: 'Tasks that ended, by outcome (done, failed, cancelled)',
      labelNames: ['outcome'] as const,
    });
    for (const outcome of ['done', 'failed', 'cancelled']) this.tasksFinished.inc({ outcome }, 0);
    this.assignWait = ctx.metrics.histogram({
      name: 'lookout_task_assignment_wait_seconds',
      help: 'Time a task waited in the queue (from creation or requeue) before an agent got it',
      buckets: SLOW_BUCKETS,
    });
  }

  private get cfg(): SidecarContext['config']['agents'] {
    return this.ctx.config.agents;
  }

  private now(): string {
    return new Date().toISOString();
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
    const created = this.ctx.db.transaction(() => {
      const existing = this.repo.getAgent(input.name);
      if (existing) {
        const status: AgentStatus = existing.load > 0 ? 'busy' : 'idle';
        this.repo.updateRegistration(spec, status, now);
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
    })();
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
    this.ctx.db.transaction(() => {
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
    })();
    this.scheduleRound();
    return this.getAgent(name);
  }

  /** A heartbeat: proof of life, optionally with a status and performance numbers. */
  heartbeat(name: string, input: HeartbeatInput, actor: string | null): Agent {
    this.ctx.db.transaction(() => this.applyHeartbeat(name, input, actor, true))();
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

  /** Removes an agent; its tasks go back to the queue. */
  deregister(name: string, actor: string | null): { requeued: number[] } {
    const requeued = this.ctx.db.transaction(() => {
      this.getAgent(name);
      const ids = this.repo.requeueAgentTasks(name, this.now());
      this.repo.deleteAgent(name);
      this.ctx.events.append(this.event('agent.removed', name, { agent: name, requeued_tasks: ids }, actor));
      return ids;
    })();
    this.scheduleRound();
    return { requeued };
  }

  /**
   * Marks agents whose heartbeat is older than their window as down and requeues their tasks
   * (one transaction per agent). Returns the agents marked.
   */
  checkStaleness(nowMs = Date.now()): { agent: string; age_s: number; requeued: number[] }[] {
    const out: { agent: string; age_s: number; requeued: number[] }[] = [];
    for (const s of this.repo.staleCandidates(nowMs)) {
      const requeued = this.ctx.db.transaction(() => {
        const a = this.repo.getAgent(s.name);
        if (!a || (a.status !== 'idle' && a.status !== 'busy')) return null;
        const now = this.now();
        this.repo.setAgentStatus(s.name, 'down', now);
        const ids = this.repo.requeueAgentTasks(s.name, now);
        this.ctx.events.append(
          this.event(
            'agent.down',
            s.name,
            {
              agent: s.name,
              age_s: Math.round(s.age_s * 10) / 10,
              heartbeat_window_s: a.heartbeat_window_s,
              last_heartbeat: a.last_heartbeat,
              requeued_tasks: ids,
            },
            null,
            'warning'
          )
        );
        return ids;
      })();
      if (requeued) out.push({ agent: s.name, age_s: s.age_s, requeued });
    }
    if (out.some((o) => o.requeued.length)) this.scheduleRound();
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

  createTask(input: CreateTaskInput, actor: string | null): Task {
    const deps = [...new Set(input.dependencies ?? [])];
    const id = this.ctx.db.transaction(() => {
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
          },
          actor
        )
      );
      return newId;
    })();
    this.scheduleRound();
    return this.getTask(id);
  }

  /** A status change by the agent holding the task (or an operator). */
  updateTask(id: number, input: TaskUpdateInput, actor: string | null): Task {
    let observe: number | null = null;
    this.ctx.db.transaction(() => {
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
      const fields: { started_at?: string; completed_at?: string; actual_duration?: number | null; result?: unknown } =
        {};
      if (to === 'in_progress') fields.started_at = now;
      if (to === 'done' || to === 'failed' || to === 'cancelled') {
        fields.completed_at = now;
        const since = t.started_at ?? t.assigned_at;
        const measured = since ? (Date.parse(now) - Date.parse(since)) / 1000 : null;
        fields.actual_duration = input.actual_duration ?? measured;
        if (to !== 'cancelled' && fields.actual_duration !== null && fields.actual_duration !== undefined)
          observe = fields.actual_duration;
      }
      if (input.result !== undefined) fields.result = input.result;
      if (!this.repo.updateTaskStatus(id, t.status, to, fields, now))
        throw new AgentsConflictError(`task ${id} changed concurrently; retry`);
      if (t.agent && (to === 'done' || to === 'failed' || to === 'cancelled' || to === 'queued')) {
        const a = this.repo.getAgent(t.agent);
        if (a && a.status === 'busy' && a.load === 0) this.repo.setAgentStatus(t.agent, 'idle', now);
      }
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
          },
          actor,
          to === 'failed' ? 'warning' : 'info'
        )
      );
      if (to === 'done' || to === 'failed' || to === 'cancelled') this.tasksFinished.inc({ outcome: to });
    })();
    if (observe !== null) this.taskDuration.observe(observe);
    this.scheduleRound();
    return this.getTask(id);
  }

  /**
   * Manual assignment (operator). With an agent: that agent, which must be available and have the
   * task's capabilities; without: the automatic choice for this one task.
   */
  assignTask(id: number, agentName: string | undefined, actor: string | null): Task {
    const result = this.ctx.db.transaction((): Assignment => {
      const t = this.getTask(id);
      if (t.status !== 'queued' && !(t.status === 'assigned' && agentName)) {
        throw new TaskTransitionError(id, t.status, 'assigned', TASK_TRANSITIONS[t.status]);
      }
      const blocked = this.repo.unfinishedDependencies(id);
      if (blocked.length)
        throw new AgentsConflictError(`task ${id} waits for unfinished dependencies: ${blocked.join(', ')}`, {
          unfinished_dependencies: blocked,
        });
      const now = this.now();
      let chosen: Agent | undefined;
      if (agentName) {
        chosen = this.getAgent(agentName);
        if (chosen.status === 'offline' || chosen.status === 'down')
          throw new AgentsConflictError(`agent ${agentName} is ${chosen.status}`);
        const missing = t.required_capabilities.filter((c) => !chosen!.capabilities.includes(c));
        if (missing.length)
          throw new AgentsConflictError(`agent ${agentName} lacks capabilities: ${missing.join(', ')}`, {
            missing_capabilities: missing,
          });
        if (t.status === 'assigned') {
          // Reassignment: back to the queue first so the guarded assign below applies.
          this.repo.updateTaskStatus(id, 'assigned', 'queued', {}, now);
          const prev = t.agent ? this.repo.getAgent(t.agent) : undefined;
          if (prev && prev.status === 'busy' && prev.load === 0) this.repo.setAgentStatus(prev.name, 'idle', now);
        }
      } else {
        chosen = pickAgent(this.repo.assignableAgents().sort(byScore), t.required_capabilities, new Map());
        if (!chosen)
          throw new AgentsConflictError(
            `no available agent has capabilities ${t.required_capabilities.join(', ') || '(any)'} and spare capacity`
          );
      }
      const queuedAt = this.repo.getTask(id)!.queued_at;
      if (!this.repo.assign(id, chosen.name, now))
        throw new AgentsConflictError(`task ${id} changed concurrently; retry`);
      if (chosen.status === 'idle') this.repo.setAgentStatus(chosen.name, 'busy', now);
      this.ctx.events.append(
        this.event(
          'task.assigned',
          `task/${id}`,
          { task_id: id, agent: chosen.name, manual: true, wait_s: (Date.parse(now) - Date.parse(queuedAt)) / 1000 },
          actor
        )
      );
      this.assignWait.observe((Date.parse(now) - Date.parse(queuedAt)) / 1000);
      return { task: this.getTask(id), agent: chosen.name };
    })();
    this.push([result]);
    return result.task;
  }

  /**
   * One automatic assignment round in one SQLite transaction: the guarded UPDATE (status must still
   * be queued) and the single writer make double assignment impossible.
   */
  assignRound(): Assignment[] {
    const assigned = this.ctx.db.transaction((): { id: number; agent: string; waited: number }[] => {
      const agents = this.repo.assignableAgents();
      if (!agents.length) return [];
      // Best first: priority_score, then name; load breaks ties among equal scores when picking.
      agents.sort(byScore);
      const load = new Map(agents.map((a) => [a.name, a.load]));
      const free = agents;
      const now = this.now();
      const nowMs = Date.parse(now);
      const noCandidate = new Set<string>();
      const out: { id: number; agent: string; waited: number }[] = [];
      const events: EventInput[] = [];
      let cursor = { p: Number.MAX_SAFE_INTEGER, id: 0 };
      let scanned = 0;
      while (free.length && scanned < this.cfg.round_size) {
        const page = this.repo.readyPage(cursor.p, cursor.id, Math.min(1000, this.cfg.round_size - scanned));
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
          if (!this.repo.assign(row.id, agent.name, now)) continue;
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
    })();
    for (const a of assigned) this.assignWait.observe(a.waited);
    const result = assigned.map((a) => ({ task: this.getTask(a.id), agent: a.agent }));
    this.push(result);
    return result;
  }

  /** Tells each agent about its new task on `lookout.tasks.<agent>`; agents may also poll REST. */
  private push(assignments: Assignment[]): void {
    for (const a of assignments) {
      this.ctx.bus.publish(tasksSubject(a.agent), { type: 'task.assigned', task: a.task }).catch((err: unknown) => {
        this.ctx.log.debug({ err, agent: a.agent }, 'task assignment not pushed (the agent can poll)');
      });
    }
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
  }

  resume(): void {
    this.stopped = false;
  }
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
