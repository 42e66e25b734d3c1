import { type TestSidecar, startTestSidecar } from '../helpers/sidecar';
import { pool } from '../helpers/pool';
import { waitFor } from '../helpers/wait';
import type { StoredEvent } from '../../src/store/events-repository';

/** A small seeded PRNG so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CAPS = ['cpu', 'gpu', 'python', 'rust', 'sql'];
const AGENTS = 1_000;
const TASKS = 10_000;

describe('assignment at scale', () => {
  let t: TestSidecar | null = null;
  afterEach(async () => {
    await t?.stop();
    t = null;
  });

  it('1,000 agents and 10,000 tasks: capabilities respected, dependencies honoured, no task assigned twice, under concurrent registrations and completions', async () => {
    const rand = prng(20261121);
    t = await startTestSidecar({
      overrides: {
        heartbeat_interval_ms: 600_000,
        http: { control_rate_limit_per_minute: 1_000_000 },
        agents: { assign_interval_ms: 100, heartbeat_window_s: 3600, stale_check_interval_ms: 60_000 },
      },
    });
    const ts = t;
    const svc = ts.sidecar.agents;

    const agentCaps = new Map<string, string[]>();
    const agents = Array.from({ length: AGENTS }, (_, i) => {
      const caps = CAPS.filter(() => rand() < 0.4);
      if (!caps.length) caps.push(CAPS[i % CAPS.length]!);
      const name = `w${String(i).padStart(4, '0')}`;
      agentCaps.set(name, caps);
      return { name, capabilities: caps, priority_score: Math.floor(rand() * 10) };
    });

    // Invariants checked on every committed event, as the feed sees them.
    const taskCaps = new Map<number, string[]>();
    const taskDeps = new Map<number, number[]>();
    const assignedTimes = new Map<number, number>();
    const done = new Set<number>();
    const violations: string[] = [];
    ts.sidecar.ctx.events.onAppend((batch: readonly StoredEvent[]) => {
      for (const e of batch) {
        if (e.source !== 'agents') continue;
        const id = e.data['task_id'] as number;
        if (e.kind === 'task.assigned') {
          assignedTimes.set(id, (assignedTimes.get(id) ?? 0) + 1);
          const caps = agentCaps.get(e.data['agent'] as string) ?? [];
          const need = taskCaps.get(id) ?? [];
          if (!need.every((c) => caps.includes(c)))
            violations.push(`task ${id} (${need}) went to ${e.data['agent']} (${caps})`);
          for (const d of taskDeps.get(id) ?? [])
            if (!done.has(d)) violations.push(`task ${id} assigned before dependency ${d} was done`);
        } else if (e.kind === 'task.done') done.add(id);
      }
    });

    // Registrations over HTTP, 25 at a time, while tasks are being created.
    const registering = pool(agents, 25, async (a) => {
      const r = await ts.call('POST', '/api/v1/agents', { as: 'operator', body: a });
      if (r.status !== 201) violations.push(`register ${a.name}: ${r.status}`);
    });

    const ids: number[] = [];
    const never = new Set<number>();
    for (let i = 0; i < TASKS; i++) {
      const r = rand();
      const required =
        r < 0.005
          ? ['quantum']
          : r < 0.2
            ? []
            : r < 0.9
              ? [CAPS[Math.floor(rand() * CAPS.length)]!]
              : [CAPS[0]!, CAPS[1 + Math.floor(rand() * 4)]!];
      const deps =
        ids.length > 100 && rand() < 0.1
          ? [ids[Math.floor(rand() * ids.length)]!, ids[Math.floor(rand() * ids.length)]!]
          : [];
      const task = svc.createTask(
        { title: `t${i}`, priority: Math.floor(rand() * 10), required_capabilities: required, dependencies: deps },
        'test'
      );
      taskCaps.set(task.id, task.required_capabilities);
      taskDeps.set(task.id, task.dependencies);
      ids.push(task.id);
      const capable = [...agentCaps.values()].some((caps) => required.every((c) => caps.includes(c)));
      if (!capable || deps.some((d) => never.has(d))) never.add(task.id);
      if (i % 200 === 0) await new Promise((res) => setImmediate(res));
    }
    await registering;

    // Agents complete what they get, 32 completions in flight over HTTP; some re-register meanwhile.
    const completable = TASKS - never.size;
    let reregistered = 0;
    while (done.size < completable) {
      const assigned = svc.listTasks({ status: ['assigned'], limit: 2000 });
      if (!assigned.length) {
        await new Promise((res) => setTimeout(res, 20));
        continue;
      }
      await Promise.all([
        pool(assigned, 32, async (task) => {
          const r = await ts.call('PATCH', `/api/v1/tasks/${task.id}`, {
            as: 'operator',
            body: { status: 'done', actual_duration: 1 },
          });
          if (r.status !== 200) violations.push(`complete ${task.id}: ${r.status} ${JSON.stringify(r.body)}`);
        }),
        pool(agents.slice(reregistered, reregistered + 20), 5, async (a) => {
          const r = await ts.call('POST', '/api/v1/agents', {
            as: 'operator',
            body: { ...a, priority_score: a.priority_score + 1 },
          });
          if (r.status !== 200) violations.push(`re-register ${a.name}: ${r.status}`);
        }),
      ]);
      reregistered = (reregistered + 20) % AGENTS;
      expect(violations).toEqual([]);
    }
    await waitFor(() => done.size === completable, 30_000);

    expect(violations).toEqual([]);
    expect([...assignedTimes.values()].every((n) => n === 1)).toBe(true);
    expect(assignedTimes.size).toBe(completable);
    for (const id of never) expect(svc.getTask(id).status).toBe('queued');
    const counts = svc.repo.countTasksByStatus();
    expect(counts).toEqual({ done: completable, ...(never.size ? { queued: never.size } : {}) });
  }, 300_000);

  it('a round hands the highest priorities to the highest-scored agents first, spreading by load', async () => {
    t = await startTestSidecar({
      overrides: { heartbeat_interval_ms: 600_000, agents: { auto_assign: false, max_tasks_per_agent: 2 } },
    });
    const svc = t.sidecar.agents;
    for (let i = 0; i < AGENTS; i++) {
      svc.register({ name: `a${i}`, capabilities: ['any'], priority_score: i < 500 ? 1 : 0 }, 'test');
    }
    const rand = prng(7);
    const tasks = Array.from({ length: 3000 }, (_, i) =>
      svc.createTask({ title: `p${i}`, priority: Math.floor(rand() * 1000) }, 'test')
    );

    // 500 slots at score 1 (x2 tasks each), then score 0: the first 500 tasks go one per top agent.
    const first = svc.assignRound();
    expect(first).toHaveLength(2000);
    const byPriority = [...tasks].sort((a, b) => b.priority - a.priority || a.id - b.id);
    const top = new Set(byPriority.slice(0, 2000).map((x) => x.id));
    expect(first.every((a) => top.has(a.task.id))).toBe(true);
    // Highest-priority 500 went to the 500 score-1 agents, one each (load before a second task).
    const firstWave = first.slice(0, 500);
    expect(new Set(firstWave.map((a) => a.agent)).size).toBe(500);
    expect(firstWave.every((a) => Number(a.agent.slice(1)) < 500)).toBe(true);
    const loads = svc.listAgents({ limit: 2000 }).map((a) => a.load);
    expect(loads.every((l) => l === 2)).toBe(true);
    expect(svc.assignRound()).toHaveLength(0);
  }, 120_000);
});
