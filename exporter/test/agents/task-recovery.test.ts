import { planAndApply } from '../helpers/actions';
import { sampleValue } from '../helpers/child-sidecar';
import { type TestSidecar, startTestSidecar } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';

interface TaskBody {
  id: number;
  status: string;
  agent: string | null;
  failures: number;
  max_attempts: number;
  retry_at: string | null;
  lease_expires_at: string | null;
  last_error: string | null;
  requeues: number;
}

interface Attempt {
  task_id: number;
  attempt: number;
  agent: string;
  started_at: string;
  ended_at: string | null;
  outcome: string | null;
  error: string | null;
  retry_at: string | null;
}

interface EventBody {
  kind: string;
  subject: string;
  actor: string | null;
  data: Record<string, unknown>;
}

const FAILURES = ['failed', 'lease_expired', 'agent_down'];

/** REST helpers acting as an operator (who may act for any agent) and reading as a viewer. */
function api(t: TestSidecar) {
  return {
    register: async (name: string, capabilities: string[], extra: Record<string, unknown> = {}) => {
      const r = await t.call('POST', '/api/v1/agents', { as: 'operator', body: { name, capabilities, ...extra } });
      expect(r.status).toBe(201);
    },
    heartbeat: async (name: string) => {
      const r = await t.call('POST', `/api/v1/agents/${name}/heartbeat`, { as: 'operator', body: {} });
      expect(r.status).toBe(200);
    },
    create: async (body: Record<string, unknown>): Promise<TaskBody> => {
      const r = await t.call('POST', '/api/v1/tasks', { as: 'operator', body });
      expect(r.status).toBe(201);
      return r.body as TaskBody;
    },
    task: async (id: number): Promise<TaskBody> =>
      (await t.call('GET', `/api/v1/tasks/${id}`, { as: 'viewer' })).body as TaskBody,
    attempts: async (id: number): Promise<Attempt[]> =>
      ((await t.call('GET', `/api/v1/tasks/${id}/attempts`, { as: 'viewer' })).body as { items: Attempt[] }).items,
    patch: async (id: number, body: Record<string, unknown>): Promise<TaskBody> => {
      const r = await t.call('PATCH', `/api/v1/tasks/${id}`, { as: 'operator', body });
      expect(r.status).toBe(200);
      return r.body as TaskBody;
    },
    events: async (kind: string, subject?: string): Promise<EventBody[]> => {
      const q = `kind=${kind}&limit=500${subject ? `&subject=${encodeURIComponent(subject)}` : ''}`;
      return ((await t.call('GET', `/api/v1/feeds/agents?${q}`, { as: 'viewer' })).body as { items: EventBody[] })
        .items;
    },
  };
}

/** Waits until the task is held by `agent` in its attempt number `n` (1-based). */
async function heldInAttempt(a: ReturnType<typeof api>, id: number, agent: string, n: number): Promise<TaskBody> {
  return waitFor(async () => {
    const task = await a.task(id);
    const attempts = await a.attempts(id);
    return task.status === 'assigned' && task.agent === agent && attempts.length === n ? task : null;
  });
}

/**
 * The counters and the success ratio in /metrics against what the API says happened: every
 * attempt of every task (its outcome, and whether its failure scheduled a retry).
 */
async function expectCountersMatchTheApi(t: TestSidecar): Promise<void> {
  const a = api(t);
  const tasks = ((await t.call('GET', '/api/v1/tasks?limit=1000', { as: 'viewer' })).body as { items: TaskBody[] })
    .items;
  const attempts = (await Promise.all(tasks.map((x) => a.attempts(x.id)))).flat();
  const agents = (
    (await t.call('GET', '/api/v1/agents?limit=1000', { as: 'viewer' })).body as {
      items: { name: string }[];
    }
  ).items.map((x) => x.name);
  const metrics = String((await t.call('GET', '/metrics', { as: 'viewer' })).body);
  const failures = attempts.filter((x) => FAILURES.includes(x.outcome ?? ''));
  expect(failures.length).toBeGreaterThan(0);

  const finished = (outcome: string): number => sampleValue(metrics, 'lookout_tasks_finished_total', { outcome });
  expect(finished('done')).toBe(attempts.filter((x) => x.outcome === 'done').length);
  expect(finished('done')).toBe(tasks.filter((x) => x.status === 'done').length);
  expect(finished('cancelled')).toBe(tasks.filter((x) => x.status === 'cancelled').length);
  for (const reason of FAILURES) {
    expect({ reason, n: sampleValue(metrics, 'lookout_tasks_failed_total', { reason }) }).toEqual({
      reason,
      n: failures.filter((x) => x.outcome === reason).length,
    });
  }
  // A failure that scheduled a retry was retried; one that scheduled none dead-lettered the task.
  expect(sampleValue(metrics, 'lookout_tasks_retried_total')).toBe(failures.filter((x) => x.retry_at !== null).length);
  expect(finished('dead_letter')).toBe(failures.filter((x) => x.retry_at === null).length);
  expect(sampleValue(metrics, 'lookout_tasks', { status: 'dead_letter' })).toBe(
    tasks.filter((x) => x.status === 'dead_letter').length
  );
  for (const agent of agents) {
    const mine = attempts.filter((x) => x.agent === agent && x.ended_at);
    const done = mine.filter((x) => x.outcome === 'done').length;
    const failed = mine.filter((x) => FAILURES.includes(x.outcome ?? '')).length;
    const ratio = sampleValue(metrics, 'lookout_agent_task_success_ratio', { agent });
    if (done + failed === 0) expect({ agent, ratio }).toEqual({ agent, ratio: NaN });
    else
      expect({ agent, ratio: Number(ratio.toFixed(6)) }).toEqual({
        agent,
        ratio: Number((done / (done + failed)).toFixed(6)),
      });
  }
}

describe('a task whose agent stops heartbeating', () => {
  let t: TestSidecar;
  let a: ReturnType<typeof api>;

  beforeAll(async () => {
    t = await startTestSidecar({
      overrides: {
        agents: {
          stale_check_interval_ms: 50,
          assign_interval_ms: 50,
          task_lease_s: 1.5,
          retry_backoff_ms: 100,
          retry_backoff_max_ms: 200,
          heartbeat_window_s: 3600,
        },
      },
    });
    a = api(t);
  });
  afterAll(async () => {
    await t.stop();
  });

  it('keeps its lease while the agent heartbeats, and is requeued as a failed attempt once the lease lapses', async () => {
    await a.register('lease-agent', ['lease']);
    const task = await a.create({ title: 'long job', required_capabilities: ['lease'], max_attempts: 5 });
    await heldInAttempt(a, task.id, 'lease-agent', 1);
    const started = await a.patch(task.id, { status: 'in_progress' });
    expect(started.lease_expires_at).not.toBeNull();

    // Each heartbeat pushes the lease further out.
    let lease = started.lease_expires_at!;
    for (let i = 0; i < 3; i++) {
      lease = await waitFor(async () => {
        await a.heartbeat('lease-agent');
        const now = await a.task(task.id);
        return now.lease_expires_at! > lease ? now.lease_expires_at! : null;
      });
    }
    expect((await a.task(task.id)).status).toBe('in_progress');
    expect((await a.attempts(task.id))[0]!.outcome).toBeNull();

    // The agent goes quiet (it stays registered: its heartbeat window is an hour).
    const ended = await waitFor(async () => {
      const [first] = await a.attempts(task.id);
      return first?.outcome ? first : null;
    });
    expect(ended.outcome).toBe('lease_expired');
    expect(ended.error).toMatch(/^lease expired at .*: agent lease-agent sent no heartbeat/);
    expect(ended.ended_at! >= lease).toBe(true);
    expect(ended.retry_at).not.toBeNull();

    // The retry: the same task, a second attempt, not before its retry time.
    await waitFor(async () => (await a.attempts(task.id)).length === 2);
    const [, second] = await a.attempts(task.id);
    expect(second!.started_at >= ended.retry_at!).toBe(true);
    const now = await a.task(task.id);
    expect(now).toMatchObject({ failures: 1, max_attempts: 5, status: 'assigned', agent: 'lease-agent' });
    expect(now.last_error).toBe(ended.error);

    const [failed] = await a.events('task.failed', `task/${task.id}`);
    expect(failed).toMatchObject({
      actor: null,
      data: { task_id: task.id, reason: 'lease_expired', attempt: 1, failures: 1, max_attempts: 5, to: 'queued' },
    });
    await t.call('DELETE', '/api/v1/agents/lease-agent', { as: 'operator' });
  });

  it('is requeued as an agent_down failure when the agent is marked down first', async () => {
    await a.register('dying', ['dying'], { heartbeat_window_s: 0.2 });
    const task = await a.create({ title: 'fragile', required_capabilities: ['dying'] });
    await heldInAttempt(a, task.id, 'dying', 1);
    await a.patch(task.id, { status: 'in_progress' });
    const ended = await waitFor(async () => {
      const [first] = await a.attempts(task.id);
      return first?.outcome ? first : null;
    });
    expect(ended).toMatchObject({ outcome: 'agent_down', agent: 'dying' });
    expect(ended.error).toMatch(/^agent dying stopped heartbeating/);
    expect(await a.task(task.id)).toMatchObject({ status: 'queued', agent: null, failures: 1, requeues: 1 });
    const [down] = await a.events('agent.down', 'dying');
    expect(down!.data).toMatchObject({ requeued_tasks: [task.id], dead_lettered_tasks: [] });
  });

  it("counts what happened: the counters and success ratios match the tasks' attempts", async () => {
    await expectCountersMatchTheApi(t);
  });
});

describe('a task that keeps failing', () => {
  let t: TestSidecar;
  let a: ReturnType<typeof api>;
  const RANDOM = [0.25, 0.75, 0.5, 0.1, 0.9];
  const draws: number[] = [];

  beforeAll(async () => {
    t = await startTestSidecar({
      overrides: {
        agents: {
          stale_check_interval_ms: 50,
          assign_interval_ms: 50,
          task_lease_s: 60,
          retry_backoff_ms: 100,
          retry_backoff_max_ms: 250,
          retry_jitter: 0.5,
        },
      },
      random: () => {
        const r = RANDOM[draws.length % RANDOM.length]!;
        draws.push(r);
        return r;
      },
    });
    a = api(t);
    await a.register('flaky', ['flaky']);
  });
  afterAll(async () => {
    await t.stop();
  });

  it('is retried after an exponential, jittered backoff: 100 ms × 2^(n−1), capped at 250 ms, × [0.5, 1)', async () => {
    const task = await a.create({ title: 'backoff', required_capabilities: ['flaky'], max_attempts: 4 });
    const first = draws.length;
    for (let n = 1; n <= 3; n++) {
      await heldInAttempt(a, task.id, 'flaky', n);
      const after = await a.patch(task.id, { status: 'failed', error: `boom ${n}` });
      expect(after).toMatchObject({ status: 'queued', failures: n, agent: null, last_error: `boom ${n}` });
    }
    await heldInAttempt(a, task.id, 'flaky', 4);
    const attempts = await a.attempts(task.id);
    for (let n = 1; n <= 3; n++) {
      const at = attempts[n - 1]!;
      const cap = Math.min(250, 100 * 2 ** (n - 1));
      const expected = Math.round(cap * (1 - 0.5 + 0.5 * draws[first + n - 1]!));
      expect({ n, delay: Date.parse(at.retry_at!) - Date.parse(at.ended_at!) }).toEqual({ n, delay: expected });
      expect({ n, waited: attempts[n]!.started_at >= at.retry_at! }).toEqual({ n, waited: true });
    }
    const failed = await a.events('task.failed', `task/${task.id}`);
    expect(failed.map((e) => e.data['delay_ms']).reverse()).toEqual(
      attempts.slice(0, 3).map((x) => Date.parse(x.retry_at!) - Date.parse(x.ended_at!))
    );
    await a.patch(task.id, { status: 'done' });
  });

  it('is dead-lettered with its last error after max_attempts failures, and an operator requeue gives it a fresh budget', async () => {
    const task = await a.create({ title: 'poison', required_capabilities: ['flaky'], max_attempts: 3 });
    for (let n = 1; n <= 3; n++) {
      await heldInAttempt(a, task.id, 'flaky', n);
      await a.patch(task.id, { status: 'failed', result: { error: `bad input ${n}` } });
    }
    const dead = await a.task(task.id);
    expect(dead).toMatchObject({
      status: 'dead_letter',
      agent: null,
      failures: 3,
      retry_at: null,
      last_error: 'bad input 3',
    });
    const listed = (await t.call('GET', '/api/v1/tasks?status=dead_letter', { as: 'viewer' })).body as {
      items: TaskBody[];
    };
    expect(listed.items.map((x) => x.id)).toContain(task.id);
    const [event] = await a.events('task.dead_lettered', `task/${task.id}`);
    expect(event!.data).toMatchObject({ task_id: task.id, failures: 3, max_attempts: 3, last_error: 'bad input 3' });
    // No further attempt while dead: the last one scheduled no retry.
    expect((await a.attempts(task.id)).map((x) => x.retry_at === null)).toEqual([false, false, true]);
    // An agent cannot revive it; an operator can, through plan → apply.
    expect(
      (await t.call('PATCH', `/api/v1/tasks/${task.id}`, { as: 'agent', body: { status: 'queued' } })).status
    ).toBe(403);
    const viewerPlan = await t.call('POST', '/api/v1/actions/task_requeue/plan', {
      as: 'viewer',
      body: { params: { task_id: task.id } },
    });
    expect(viewerPlan.status).toBe(403);
    const { plan, action } = await planAndApply(t.call, 'task_requeue', { task_id: task.id }, 'input fixed upstream');
    expect(plan.changes).toEqual(
      expect.arrayContaining([
        { field: 'task.status', from: 'dead_letter', to: 'queued' },
        { field: 'task.failures', from: 3, to: 0 },
      ])
    );
    expect(action).toMatchObject({ status: 'applied', actor: 'operator', reason: 'input fixed upstream' });
    const back = await heldInAttempt(a, task.id, 'flaky', 4);
    expect(back.failures).toBe(0);
    const [requeued] = await a.events('task.requeued', `task/${task.id}`);
    expect(requeued).toMatchObject({
      actor: 'operator',
      data: { from: 'dead_letter', reason: 'input fixed upstream', failures_reset: true },
    });
    await a.patch(task.id, { status: 'done' });
  });

  it("counts what happened: the counters and success ratios match the tasks' attempts", async () => {
    const dropped = await a.create({ title: 'not needed', required_capabilities: ['nobody-has-this'] });
    await a.patch(dropped.id, { status: 'cancelled' });
    await expectCountersMatchTheApi(t);
  });
});
