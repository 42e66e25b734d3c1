import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/database';
import { SqlFilter } from '../store/sql-filter';

export const AGENT_STATUSES = ['idle', 'busy', 'offline', 'down'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];
export const TASK_STATUSES = ['queued', 'assigned', 'in_progress', 'done', 'cancelled', 'dead_letter'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
/** How an attempt ended: done; a failure (reported, lease lapsed, agent down); given back; cancelled. */
export const ATTEMPT_OUTCOMES = ['done', 'failed', 'lease_expired', 'agent_down', 'returned', 'cancelled'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];
/** Outcomes that count against a task's max_attempts and an agent's success ratio. */
export const FAILURE_OUTCOMES = ['failed', 'lease_expired', 'agent_down'] as const;
export type FailureOutcome = (typeof FAILURE_OUTCOMES)[number];
/** Statuses a task holds while an agent owns it. */
export const ACTIVE_TASK_STATUSES: readonly TaskStatus[] = ['assigned', 'in_progress'];

export interface Performance {
  cpu?: number;
  memory?: number;
  custom?: Record<string, number>;
  updated_at?: string;
}

export interface Agent {
  name: string;
  capabilities: string[];
  priority_score: number;
  status: AgentStatus;
  max_tasks: number;
  heartbeat_window_s: number;
  last_heartbeat: string;
  performance: Performance;
  metadata: Record<string, unknown>;
  registered_at: string;
  updated_at: string;
  /** Tasks the agent holds now (assigned or in progress). */
  load: number;
  /** Drained: it keeps what it holds but is given nothing new. */
  draining: boolean;
}

export interface Task {
  id: number;
  title: string;
  description: string;
  priority: number;
  category: string | null;
  estimated_duration: number | null;
  required_capabilities: string[];
  dependencies: number[];
  status: TaskStatus;
  agent: string | null;
  created_by: string | null;
  created_at: string;
  queued_at: string;
  assigned_at: string | null;
  started_at: string | null;
  completed_at: string | null;
  actual_duration: number | null;
  result: unknown;
  requeues: number;
  updated_at: string;
  /** Failed attempts after which the task is dead-lettered. */
  max_attempts: number;
  /** Times an agent took the task. */
  attempts: number;
  /** Attempts that failed (reported failed, lease lapsed, agent down) since the last operator requeue. */
  failures: number;
  /** While queued after a failure: not assigned before this time (backoff). */
  retry_at: string | null;
  /** While an agent holds the task: requeued as a failure unless a heartbeat renews it by then. */
  lease_expires_at: string | null;
  last_error: string | null;
}

export interface TaskAttempt {
  task_id: number;
  attempt: number;
  agent: string;
  started_at: string;
  ended_at: string | null;
  outcome: AttemptOutcome | null;
  error: string | null;
  /** When the failure scheduled a retry: the time it was scheduled for. */
  retry_at: string | null;
}

interface AgentRow {
  rowid: number;
  name: string;
  capabilities: string;
  priority_score: number;
  status: AgentStatus;
  max_tasks: number;
  heartbeat_window_s: number;
  last_heartbeat: string;
  performance: string;
  metadata: string;
  registered_at: string;
  updated_at: string;
  load: number;
  draining: number;
}

interface TaskRow {
  id: number;
  title: string;
  description: string;
  priority: number;
  category: string | null;
  estimated_duration: number | null;
  required_capabilities: string;
  status: TaskStatus;
  agent: string | null;
  created_by: string | null;
  created_at: string;
  queued_at: string;
  assigned_at: string | null;
  started_at: string | null;
  completed_at: string | null;
  actual_duration: number | null;
  result: string | null;
  requeues: number;
  updated_at: string;
  max_attempts: number;
  attempts: number;
  failures: number;
  retry_at: string | null;
  lease_expires_at: string | null;
  last_error: string | null;
  deps: string | null;
}

const LOAD = `(SELECT COUNT(*) FROM tasks t WHERE t.agent = a.name AND t.status IN ('assigned', 'in_progress'))`;
const AGENT_SELECT = `SELECT a.rowid AS rowid, a.*, ${LOAD} AS load FROM agents a`;
const TASK_SELECT = `SELECT t.*, (SELECT group_concat(depends_on) FROM task_dependencies d WHERE d.task_id = t.id) AS deps FROM tasks t`;

/** `{ status: n }` from a `SELECT status, COUNT(*) AS n … GROUP BY status` statement. */
function countsOf(stmt: Statement<unknown[]>): Record<string, number> {
  const rows = stmt.all() as { status: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

function toAgent(r: AgentRow): Agent & { rowid: number } {
  return {
    rowid: r.rowid,
    name: r.name,
    capabilities: JSON.parse(r.capabilities) as string[],
    priority_score: r.priority_score,
    status: r.status,
    max_tasks: r.max_tasks,
    heartbeat_window_s: r.heartbeat_window_s,
    last_heartbeat: r.last_heartbeat,
    performance: JSON.parse(r.performance) as Performance,
    metadata: JSON.parse(r.metadata) as Record<string, unknown>,
    registered_at: r.registered_at,
    updated_at: r.updated_at,
    load: r.load,
    draining: r.draining === 1,
  };
}

function toTask(r: TaskRow): Task {
  return {
    id: r.id,
    title: r.title,
    description: r.description,
    priority: r.priority,
    category: r.category,
    estimated_duration: r.estimated_duration,
    required_capabilities: JSON.parse(r.required_capabilities) as string[],
    dependencies: r.deps
      ? r.deps
          .split(',')
          .map(Number)
          .sort((a, b) => a - b)
      : [],
    status: r.status,
    agent: r.agent,
    created_by: r.created_by,
    created_at: r.created_at,
    queued_at: r.queued_at,
    assigned_at: r.assigned_at,
    started_at: r.started_at,
    completed_at: r.completed_at,
    actual_duration: r.actual_duration,
    result: r.result === null ? null : (JSON.parse(r.result) as unknown),
    requeues: r.requeues,
    updated_at: r.updated_at,
    max_attempts: r.max_attempts,
    attempts: r.attempts,
    failures: r.failures,
    retry_at: r.retry_at,
    lease_expires_at: r.lease_expires_at,
    last_error: r.last_error,
  };
}

/** Columns a status change may also set. */
export interface TaskFields {
  started_at?: string | null;
  completed_at?: string | null;
  actual_duration?: number | null;
  result?: unknown;
  lease_expires_at?: string | null;
  retry_at?: string | null;
  failures?: number;
  last_error?: string | null;
}
const TASK_FIELD_COLUMNS = [
  'started_at',
  'completed_at',
  'actual_duration',
  'result',
  'lease_expires_at',
  'retry_at',
  'failures',
  'last_error',
] as const satisfies readonly (keyof TaskFields)[];

export interface NewAgent {
  name: string;
  capabilities: string[];
  priority_score: number;
  max_tasks: number;
  heartbeat_window_s: number;
  metadata: Record<string, unknown>;
}

export interface NewTask {
  title: string;
  description: string;
  priority: number;
  category: string | null;
  estimated_duration: number | null;
  required_capabilities: string[];
  dependencies: number[];
  created_by: string | null;
  max_attempts: number;
}

export interface AgentQuery {
  status?: readonly string[] | undefined;
  capability?: string | undefined;
  after?: number | undefined;
  limit: number;
}

export interface TaskQuery {
  status?: readonly string[] | undefined;
  agent?: string | undefined;
  category?: string | undefined;
  after?: number | undefined;
  limit: number;
}

/** Agents, tasks and dependencies in SQLite. Plain objects out; the service owns transactions. */
export class AgentsRepository {
  private readonly getAgentStmt;
  private readonly getTaskStmt;
  private readonly readyPageStmt;
  private readonly assignStmt;
  private readonly openAttemptStmt;
  private readonly endAttemptStmt;
  private readonly setAgentStatusStmt;
  // Read on every stale check, /metrics scrape and status build.
  private readonly staleCandidatesStmt;
  private readonly heartbeatAgesStmt;
  private readonly agentsByStatusStmt;
  private readonly tasksByStatusStmt;

  constructor(private readonly db: Db) {
    this.getAgentStmt = db.prepare(`${AGENT_SELECT} WHERE a.name = ?`);
    this.getTaskStmt = db.prepare(`${TASK_SELECT} WHERE t.id = ?`);
    // Queued tasks whose dependencies are all done, highest priority first, oldest first within it.
    // Keyset paging on (priority, id) so a round can read past tasks no agent can take.
    this.readyPageStmt = db.prepare(
      `SELECT t.id, t.priority, t.required_capabilities, t.queued_at FROM tasks t
       WHERE t.status = 'queued'
         AND (t.retry_at IS NULL OR t.retry_at <= @now)
         AND (t.priority < @p OR (t.priority = @p AND t.id > @id))
         AND NOT EXISTS (SELECT 1 FROM task_dependencies d JOIN tasks dep ON dep.id = d.depends_on
                         WHERE d.task_id = t.id AND dep.status != 'done')
       ORDER BY t.priority DESC, t.id ASC LIMIT @limit`
    );
    this.assignStmt = db.prepare(
      `UPDATE tasks SET status = 'assigned', agent = @agent, assigned_at = @now, updated_at = @now, attempts = attempts + 1,
         retry_at = NULL, lease_expires_at = @lease WHERE id = @id AND status = 'queued'`
    );
    this.openAttemptStmt = db.prepare(
      `INSERT INTO task_attempts (task_id, attempt, agent, started_at) SELECT id, attempts, agent, assigned_at FROM tasks WHERE id = ?`
    );
    this.endAttemptStmt = db.prepare(
      `UPDATE task_attempts SET ended_at = @now, outcome = @outcome, error = @error, retry_at = @retry_at
       WHERE task_id = @id AND ended_at IS NULL`
    );
    this.setAgentStatusStmt = db.prepare('UPDATE agents SET status = ?, updated_at = ? WHERE name = ?');
    this.staleCandidatesStmt = db.prepare(
      `SELECT name, last_heartbeat, heartbeat_window_s FROM agents WHERE status IN ('idle', 'busy')`
    );
    this.heartbeatAgesStmt = db.prepare('SELECT name, status, last_heartbeat FROM agents');
    this.agentsByStatusStmt = db.prepare('SELECT status, COUNT(*) AS n FROM agents GROUP BY status');
    this.tasksByStatusStmt = db.prepare('SELECT status, COUNT(*) AS n FROM tasks GROUP BY status');
  }

  getAgent(name: string): Agent | undefined {
    const r = this.getAgentStmt.get(name) as AgentRow | undefined;
    if (!r) return undefined;
    const { rowid: _r, ...a } = toAgent(r);
    return a;
  }

  insertAgent(a: NewAgent, now: string): void {
    this.db
      .prepare(
        `INSERT INTO agents (name, capabilities, priority_score, status, max_tasks, heartbeat_window_s, last_heartbeat,
           performance, metadata, registered_at, updated_at)
         VALUES (?, ?, ?, 'idle', ?, ?, ?, '{}', ?, ?, ?)`
      )
      .run(
        a.name,
        JSON.stringify(a.capabilities),
        a.priority_score,
        a.max_tasks,
        a.heartbeat_window_s,
        now,
        JSON.stringify(a.metadata),
        now,
        now
      );
  }

  /** Re-registration: new capabilities and settings; a registration counts as a heartbeat. */
  updateRegistration(a: NewAgent, status: AgentStatus, now: string): void {
    this.db
      .prepare(
        `UPDATE agents SET capabilities = ?, priority_score = ?, max_tasks = ?, heartbeat_window_s = ?, metadata = ?,
           status = ?, last_heartbeat = ?, updated_at = ? WHERE name = ?`
      )
      .run(
        JSON.stringify(a.capabilities),
        a.priority_score,
        a.max_tasks,
        a.heartbeat_window_s,
        JSON.stringify(a.metadata),
        status,
        now,
        now,
        a.name
      );
  }

  patchAgent(
    name: string,
    p: { capabilities?: string[]; priority_score?: number; max_tasks?: number; heartbeat_window_s?: number },
    now: string
  ): void {
    const sets: string[] = [];
    const args: unknown[] = [];
    if (p.capabilities) {
      sets.push('capabilities = ?');
      args.push(JSON.stringify(p.capabilities));
    }
    for (const k of ['priority_score', 'max_tasks', 'heartbeat_window_s'] as const) {
      if (p[k] !== undefined) {
        sets.push(`${k} = ?`);
        args.push(p[k]);
      }
    }
    if (!sets.length) return;
    this.db.prepare(`UPDATE agents SET ${sets.join(', ')}, updated_at = ? WHERE name = ?`).run(...args, now, name);
  }

  setAgentStatus(name: string, status: AgentStatus, now: string): void {
    this.setAgentStatusStmt.run(status, now, name);
  }

  setDraining(name: string, draining: boolean, now: string): void {
    this.db.prepare('UPDATE agents SET draining = ?, updated_at = ? WHERE name = ?').run(draining ? 1 : 0, now, name);
  }

  heartbeat(name: string, performance: Performance | null, now: string): void {
    if (performance) {
      this.db
        .prepare('UPDATE agents SET last_heartbeat = ?, performance = ?, updated_at = ? WHERE name = ?')
        .run(now, JSON.stringify(performance), now, name);
    } else {
      this.db.prepare('UPDATE agents SET last_heartbeat = ? WHERE name = ?').run(now, name);
    }
  }

  deleteAgent(name: string): void {
    this.db.prepare('DELETE FROM agents WHERE name = ?').run(name);
  }

  listAgents(q: AgentQuery): (Agent & { rowid: number })[] {
    const where = new SqlFilter()
      .in('a.status', q.status)
      .when(q.capability, 'EXISTS (SELECT 1 FROM json_each(a.capabilities) c WHERE c.value = ?)')
      .when(q.after, 'a.rowid > ?');
    const sql = `${AGENT_SELECT} ${where} ORDER BY a.rowid ASC LIMIT ?`;
    return (this.db.prepare(sql).all(...where.args, q.limit) as AgentRow[]).map(toAgent);
  }

  /** Agents that may receive work: available status and spare capacity. */
  assignableAgents(): Agent[] {
    return (
      this.db.prepare(`${AGENT_SELECT} WHERE a.status IN ('idle', 'busy') AND a.draining = 0`).all() as AgentRow[]
    )
      .map(toAgent)
      .filter((a) => a.load < a.max_tasks);
  }

  /** Agents whose last heartbeat is older than their window (offline and already-down agents excluded). */
  staleCandidates(nowMs: number): { name: string; age_s: number }[] {
    const rows = this.staleCandidatesStmt.all() as {
      name: string;
      last_heartbeat: string;
      heartbeat_window_s: number;
    }[];
    const out: { name: string; age_s: number }[] = [];
    for (const r of rows) {
      const age = (nowMs - Date.parse(r.last_heartbeat)) / 1000;
      if (age > r.heartbeat_window_s) out.push({ name: r.name, age_s: age });
    }
    return out;
  }

  heartbeatAges(nowMs: number): { name: string; status: AgentStatus; age_s: number }[] {
    return (this.heartbeatAgesStmt.all() as { name: string; status: AgentStatus; last_heartbeat: string }[]).map(
      (r) => ({
        name: r.name,
        status: r.status,
        age_s: Math.max(0, (nowMs - Date.parse(r.last_heartbeat)) / 1000),
      })
    );
  }

  countAgentsByStatus(): Record<string, number> {
    return countsOf(this.agentsByStatusStmt);
  }

  countTasksByStatus(): Record<string, number> {
    return countsOf(this.tasksByStatusStmt);
  }

  getTask(id: number): Task | undefined {
    const r = this.getTaskStmt.get(id) as TaskRow | undefined;
    return r ? toTask(r) : undefined;
  }

  existingTaskIds(ids: readonly number[]): Set<number> {
    if (!ids.length) return new Set();
    const rows = this.db
      .prepare(`SELECT id FROM tasks WHERE id IN (${ids.map(() => '?').join(',')})`)
      .pluck()
      .all(...ids) as number[];
    return new Set(rows);
  }

  insertTask(t: NewTask, now: string): number {
    const info = this.db
      .prepare(
        `INSERT INTO tasks (title, description, priority, category, estimated_duration, required_capabilities, status,
           created_by, created_at, queued_at, updated_at, max_attempts)
         VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)`
      )
      .run(
        t.title,
        t.description,
        t.priority,
        t.category,
        t.estimated_duration,
        JSON.stringify(t.required_capabilities),
        t.created_by,
        now,
        now,
        now,
        t.max_attempts
      );
    const id = Number(info.lastInsertRowid);
    const dep = this.db.prepare('INSERT INTO task_dependencies (task_id, depends_on) VALUES (?, ?)');
    for (const d of new Set(t.dependencies)) dep.run(id, d);
    return id;
  }

  listTasks(q: TaskQuery): Task[] {
    const where = new SqlFilter()
      .in('t.status', q.status)
      .when(q.agent, 't.agent = ?')
      .when(q.category, 't.category = ?')
      .when(q.after, 't.id > ?');
    const sql = `${TASK_SELECT} ${where} ORDER BY t.id ASC LIMIT ?`;
    return (this.db.prepare(sql).all(...where.args, q.limit) as TaskRow[]).map(toTask);
  }

  /** Queued tasks ready to run now (dependencies done, no retry pending), in assignment order. */
  readyPage(
    afterPriority: number,
    afterId: number,
    limit: number,
    now: string
  ): { id: number; priority: number; required_capabilities: string; queued_at: string }[] {
    return this.readyPageStmt.all({ p: afterPriority, id: afterId, limit, now }) as {
      id: number;
      priority: number;
      required_capabilities: string;
      queued_at: string;
    }[];
  }

  /**
   * Guarded: only a queued task is assigned, so a task can never go to two agents. Opens the
   * attempt and starts the lease.
   */
  assign(taskId: number, agent: string, now: string, leaseUntil: string): boolean {
    if (this.assignStmt.run({ agent, now, lease: leaseUntil, id: taskId }).changes !== 1) return false;
    this.openAttemptStmt.run(taskId);
    return true;
  }

  /** Closes the task's open attempt, if it has one. */
  endAttempt(
    taskId: number,
    outcome: AttemptOutcome,
    now: string,
    error: string | null = null,
    retryAt: string | null = null
  ): void {
    this.endAttemptStmt.run({ id: taskId, outcome, now, error, retry_at: retryAt });
  }

  listAttempts(taskId: number): TaskAttempt[] {
    return this.db
      .prepare('SELECT * FROM task_attempts WHERE task_id = ? ORDER BY attempt')
      .all(taskId) as TaskAttempt[];
  }

  /** A dead letter is held by no agent (its attempts keep who ran it). */
  clearAgent(taskId: number): void {
    this.db.prepare('UPDATE tasks SET agent = NULL WHERE id = ?').run(taskId);
  }

  setRetryAt(taskId: number, retryAt: string | null, now: string): void {
    this.db.prepare('UPDATE tasks SET retry_at = ?, updated_at = ? WHERE id = ?').run(retryAt, now, taskId);
  }

  /** Renews the lease of every task the agent holds. */
  renewLeases(agent: string, until: string): void {
    this.db
      .prepare(`UPDATE tasks SET lease_expires_at = ? WHERE agent = ? AND status IN ('assigned', 'in_progress')`)
      .run(until, agent);
  }

  /** Held tasks whose lease lapsed before `now`, oldest lapse first. */
  expiredLeases(now: string, limit = 500): number[] {
    return this.db
      .prepare(
        `SELECT id FROM tasks WHERE lease_expires_at IS NOT NULL AND lease_expires_at < ?
           AND status IN ('assigned', 'in_progress') ORDER BY lease_expires_at LIMIT ?`
      )
      .pluck()
      .all(now, limit) as number[];
  }

  /** The earliest pending retry time, or null. */
  nextRetryAt(): string | null {
    return (
      (this.db
        .prepare(`SELECT MIN(retry_at) FROM tasks WHERE status = 'queued' AND retry_at IS NOT NULL`)
        .pluck()
        .get() as string | null) ?? null
    );
  }

  /** Ids of the tasks an agent holds (assigned or in progress). */
  heldBy(agent: string): number[] {
    return this.db
      .prepare(`SELECT id FROM tasks WHERE agent = ? AND status IN ('assigned', 'in_progress') ORDER BY id`)
      .pluck()
      .all(agent) as number[];
  }

  /** Per registered agent: attempts that ended done and that failed since `since`. */
  outcomesByAgent(since: string): { agent: string; done: number; failed: number }[] {
    return this.db
      .prepare(
        `SELECT t.agent AS agent,
                SUM(t.outcome = 'done') AS done,
                SUM(t.outcome IN ('failed', 'lease_expired', 'agent_down')) AS failed
         FROM task_attempts t JOIN agents a ON a.name = t.agent
         WHERE t.ended_at IS NOT NULL AND t.ended_at >= ?
         GROUP BY t.agent`
      )
      .all(since) as { agent: string; done: number; failed: number }[];
  }

  /**
   * Moves a task from `from` to `to` (guarded: false when it was no longer in `from`). Back to the
   * queue clears the agent, its times and its lease; a task no agent holds has no lease.
   */
  updateTaskStatus(id: number, from: TaskStatus, to: TaskStatus, fields: TaskFields, now: string): boolean {
    const sets = ['status = ?', 'updated_at = ?'];
    const args: unknown[] = [to, now];
    for (const k of TASK_FIELD_COLUMNS) {
      const v = fields[k];
      if (v === undefined) continue;
      sets.push(`${k} = ?`);
      args.push(k === 'result' ? JSON.stringify(v) : v);
    }
    if (to === 'queued') {
      sets.push('agent = NULL', 'assigned_at = NULL', 'started_at = NULL', 'queued_at = ?', 'requeues = requeues + 1');
      args.push(now);
    }
    if (to !== 'assigned' && to !== 'in_progress') sets.push('lease_expires_at = NULL');
    return (
      this.db.prepare(`UPDATE tasks SET ${sets.join(', ')} WHERE id = ? AND status = ?`).run(...args, id, from)
        .changes === 1
    );
  }

  /** Gives every task an agent holds back to the queue (no failure: the agent let go); returns their ids. */
  requeueAgentTasks(agent: string, now: string): number[] {
    const ids = this.heldBy(agent);
    for (const id of ids) this.endAttempt(id, 'returned', now);
    if (ids.length) {
      this.db
        .prepare(
          `UPDATE tasks SET status = 'queued', agent = NULL, assigned_at = NULL, started_at = NULL, queued_at = ?,
             requeues = requeues + 1, lease_expires_at = NULL, updated_at = ?
           WHERE agent = ? AND status IN ('assigned', 'in_progress')`
        )
        .run(now, now, agent);
    }
    return ids;
  }

  /** Load of an agent (assigned + in progress). */
  loadOf(agent: string): number {
    return this.db
      .prepare(`SELECT COUNT(*) FROM tasks WHERE agent = ? AND status IN ('assigned', 'in_progress')`)
      .pluck()
      .get(agent) as number;
  }

  /** Ids of this task's dependencies that are not done yet. */
  unfinishedDependencies(id: number): number[] {
    return this.db
      .prepare(
        `SELECT d.depends_on FROM task_dependencies d JOIN tasks dep ON dep.id = d.depends_on
         WHERE d.task_id = ? AND dep.status != 'done' ORDER BY d.depends_on`
      )
      .pluck()
      .all(id) as number[];
  }
}
