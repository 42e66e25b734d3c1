import type { NatsConnection } from '@nats-io/transport-node';
import { type NatsSidecar, startNatsSidecar } from '../helpers/nats-sidecar';
import type { TestSidecar } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';

const enc = new TextEncoder();
const dec = new TextDecoder();

interface TaskBody {
  id: number;
  status: string;
  agent: string | null;
  actual_duration: number | null;
  requeues: number;
}

describe('agents and tasks, end to end over REST and NATS', () => {
  let h: NatsSidecar;
  let t: TestSidecar;
  let nc: NatsConnection;

  beforeAll(async () => {
    h = await startNatsSidecar({ agents: { stale_check_interval_ms: 100, assign_interval_ms: 100 } });
    ({ t, nc } = h);
  });
  afterAll(async () => {
    await h.stop();
  });

  it('an agent registers itself, receives a matching task on lookout.tasks.<agent>, works it and reports the duration', async () => {
    const pushed: Record<string, unknown>[] = [];
    nc.subscribe('lookout.tasks.agent-1', {
      callback: (_e, m) => {
        pushed.push(JSON.parse(dec.decode(m.data)) as Record<string, unknown>);
      },
    });
    await nc.flush();

    const reg = await t.call('POST', '/api/v1/agents', {
      as: 'agent',
      body: { name: 'agent-1', capabilities: ['python', 'gpu'], priority_score: 5 },
    });
    expect(reg.status).toBe(201);
    expect(reg.body).toMatchObject({ name: 'agent-1', status: 'idle', capabilities: ['gpu', 'python'], load: 0 });
    const again = await t.call('POST', '/api/v1/agents', {
      as: 'agent',
      body: { name: 'agent-1', capabilities: ['python', 'gpu'], priority_score: 5 },
    });
    expect(again.status).toBe(200);

    const hb = await t.call('POST', '/api/v1/agents/agent-1/heartbeat', {
      as: 'agent',
      body: { performance: { cpu: 40, memory: 512 } },
    });
    expect(hb.status).toBe(200);
    const viaNats = await nc.request('lookout.agents.agent-1.heartbeat', enc.encode(JSON.stringify({ cpu: 41 })), {
      timeout: 5000,
    });
    expect(JSON.parse(dec.decode(viaNats.data))).toMatchObject({ ok: true });

    const created = await t.call('POST', '/api/v1/tasks', {
      as: 'operator',
      body: { title: 'train', priority: 3, category: 'ml', estimated_duration: 60, required_capabilities: ['gpu'] },
    });
    expect(created.status).toBe(201);
    const id = (created.body as TaskBody).id;
    await waitFor(() => pushed.some((p) => (p['task'] as TaskBody).id === id));
    expect(pushed[0]).toMatchObject({ type: 'task.assigned', task: { id, agent: 'agent-1', status: 'assigned' } });

    const mine = await t.call('GET', '/api/v1/agents/agent-1/tasks', { as: 'agent' });
    expect((mine.body as { items: TaskBody[] }).items.map((x) => x.id)).toEqual([id]);
    expect(
      (await t.call('PATCH', `/api/v1/tasks/${id}`, { as: 'agent', body: { status: 'in_progress' } })).status
    ).toBe(200);
    const done = await t.call('PATCH', `/api/v1/tasks/${id}`, {
      as: 'agent',
      body: { status: 'done', actual_duration: 42.5, result: { ok: 1 } },
    });
    expect(done.body).toMatchObject({ status: 'done', actual_duration: 42.5, result: { ok: 1 } });
    const again2 = await t.call('PATCH', `/api/v1/tasks/${id}`, { as: 'agent', body: { status: 'in_progress' } });
    expect(again2.status).toBe(409);
    expect(again2.body).toMatchObject({
      error: { code: 'invalid_transition', details: { from: 'done', to: 'in_progress' } },
    });

    const feed = await t.call('GET', '/api/v1/feeds/agents?limit=50', { as: 'viewer' });
    const kinds = (feed.body as { items: { kind: string }[] }).items.map((e) => e.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(['agent.registered', 'task.created', 'task.assigned', 'task.in_progress', 'task.done'])
    );
    const metrics = String((await t.call('GET', '/metrics', { as: 'viewer' })).body);
    expect(metrics).toMatch(/lookout_task_duration_seconds_count\{node="test-node"\} [1-9]/);
    expect(metrics).toMatch(/lookout_task_assignment_wait_seconds_count\{node="test-node"\} [1-9]/);
    expect(metrics).toMatch(/lookout_agents\{status="idle",node="test-node"\} [1-9]/);
    expect(metrics).toMatch(/lookout_agent_heartbeat_age_seconds\{agent="agent-1",node="test-node"\}/);
  });

  it('an agent token touches only its own agent and tasks; operators manage all', async () => {
    expect(
      (await t.call('POST', '/api/v1/agents', { as: 'agent', body: { name: 'someone-else', capabilities: [] } })).status
    ).toBe(403);
    expect(
      (await t.call('POST', '/api/v1/agents', { as: 'operator', body: { name: 'other', capabilities: ['rust'] } }))
        .status
    ).toBe(201);
    expect((await t.call('POST', '/api/v1/agents/other/heartbeat', { as: 'agent', body: {} })).status).toBe(403);
    expect((await t.call('PATCH', '/api/v1/agents/other', { as: 'agent', body: { priority_score: 99 } })).status).toBe(
      403
    );
    expect((await t.call('GET', '/api/v1/agents/other/tasks', { as: 'agent' })).status).toBe(403);
    const task = await t.call('POST', '/api/v1/tasks', {
      as: 'operator',
      body: { title: 'rusty', required_capabilities: ['rust'] },
    });
    const id = (task.body as TaskBody).id;
    await waitFor(
      async () => ((await t.call('GET', `/api/v1/tasks/${id}`, { as: 'viewer' })).body as TaskBody).agent === 'other'
    );
    expect((await t.call('PATCH', `/api/v1/tasks/${id}`, { as: 'agent', body: { status: 'done' } })).status).toBe(403);
    expect((await t.call('POST', '/api/v1/tasks', { as: 'agent', body: { title: 'sneaky' } })).status).toBe(403);
    expect((await t.call('POST', '/api/v1/tasks', { as: 'viewer', body: { title: 'sneaky' } })).status).toBe(403);
    expect((await t.call('PATCH', `/api/v1/tasks/${id}`, { as: 'operator', body: { status: 'done' } })).status).toBe(
      200
    );
    expect((await t.call('DELETE', '/api/v1/agents/other', { as: 'agent' })).status).toBe(403);
    expect((await t.call('DELETE', '/api/v1/agents/other', { as: 'operator' })).status).toBe(200);
    expect((await t.call('GET', '/api/v1/agents/other', { as: 'viewer' })).status).toBe(404);
  });

  it('a task waits for its dependencies to be done before it is assigned', async () => {
    await t.call('POST', '/api/v1/agents', {
      as: 'operator',
      body: { name: 'dep-worker', capabilities: ['deps'], max_tasks: 5 },
    });
    const a = (
      await t.call('POST', '/api/v1/tasks', {
        as: 'operator',
        body: { title: 'first', required_capabilities: ['deps'] },
      })
    ).body as TaskBody;
    const b = (
      await t.call('POST', '/api/v1/tasks', {
        as: 'operator',
        body: { title: 'second', dependencies: [a.id], required_capabilities: ['deps'], priority: 100 },
      })
    ).body as TaskBody;
    await waitFor(
      async () =>
        ((await t.call('GET', `/api/v1/tasks/${a.id}`, { as: 'viewer' })).body as TaskBody).status === 'assigned'
    );
    // A later, lower-priority task with no dependencies: once a round assigns it, that round also
    // looked at the second task (queued before it, higher priority) and the free slots it could take.
    const c = (
      await t.call('POST', '/api/v1/tasks', {
        as: 'operator',
        body: { title: 'third', required_capabilities: ['deps'], priority: 1 },
      })
    ).body as TaskBody;
    await waitFor(
      async () =>
        ((await t.call('GET', `/api/v1/tasks/${c.id}`, { as: 'viewer' })).body as TaskBody).agent === 'dep-worker'
    );
    expect(((await t.call('GET', `/api/v1/tasks/${b.id}`, { as: 'viewer' })).body as TaskBody).status).toBe('queued');
    const manual = await t.call('POST', `/api/v1/tasks/${b.id}/assign`, {
      as: 'operator',
      body: { agent: 'dep-worker' },
    });
    expect(manual.status).toBe(409);
    expect(manual.body).toMatchObject({ error: { code: 'conflict', details: { unfinished_dependencies: [a.id] } } });
    await t.call('PATCH', `/api/v1/tasks/${a.id}`, { as: 'operator', body: { status: 'done' } });
    await waitFor(
      async () =>
        ((await t.call('GET', `/api/v1/tasks/${b.id}`, { as: 'viewer' })).body as TaskBody).agent === 'dep-worker'
    );
    const unknownDep = await t.call('POST', '/api/v1/tasks', {
      as: 'operator',
      body: { title: 'x', dependencies: [999_999] },
    });
    expect(unknownDep.status).toBe(409);
  });

  it('a stale agent is marked down, its tasks are requeued, the guardian sees it, and a heartbeat brings it back', async () => {
    const reg = await t.call('POST', '/api/v1/agents', {
      as: 'operator',
      body: { name: 'flaky', capabilities: ['flaky-only'], heartbeat_window_s: 0.4 },
    });
    expect(reg.status).toBe(201);
    const task = (
      await t.call('POST', '/api/v1/tasks', {
        as: 'operator',
        body: { title: 'fragile', required_capabilities: ['flaky-only'] },
      })
    ).body as TaskBody;
    await waitFor(
      async () =>
        ((await t.call('GET', `/api/v1/tasks/${task.id}`, { as: 'viewer' })).body as TaskBody).agent === 'flaky'
    );
    await t.call('PATCH', `/api/v1/tasks/${task.id}`, { as: 'operator', body: { status: 'in_progress' } });
    // No heartbeats: the window passes.
    await waitFor(
      async () =>
        ((await t.call('GET', '/api/v1/agents/flaky', { as: 'viewer' })).body as { status: string }).status === 'down',
      10_000
    );
    const requeued = (await t.call('GET', `/api/v1/tasks/${task.id}`, { as: 'viewer' })).body as TaskBody;
    expect(requeued).toMatchObject({ status: 'queued', agent: null, requeues: 1 });
    expect(t.sidecar.agents.staleAgents().map((s) => s.agent)).toContain('flaky');
    const feed = await t.call('GET', '/api/v1/feeds/agents?kind=agent.down', { as: 'viewer' });
    const down = (
      feed.body as { items: { subject: string; severity: string; data: { requeued_tasks: number[] } }[] }
    ).items.find((e) => e.subject === 'flaky');
    expect(down).toMatchObject({ severity: 'warning', data: { requeued_tasks: [task.id] } });

    const back = await nc.request('lookout.agents.flaky.heartbeat', enc.encode('{}'), { timeout: 5000 });
    expect(JSON.parse(dec.decode(back.data))).toMatchObject({ ok: true });
    expect(t.sidecar.agents.staleAgents().map((s) => s.agent)).not.toContain('flaky');
    // The agent's death counted as a failed attempt: the task comes back after its retry backoff,
    // to the agent that keeps heartbeating (its window is shorter than the backoff).
    await waitFor(async () => {
      await nc.request('lookout.agents.flaky.heartbeat', enc.encode('{}'), { timeout: 5000 });
      return ((await t.call('GET', `/api/v1/tasks/${task.id}`, { as: 'viewer' })).body as TaskBody).agent === 'flaky';
    });
    await t.call('DELETE', '/api/v1/agents/flaky', { as: 'operator' });
  });

  it('the classic /api/agents and /api/tasks shapes work', async () => {
    const reg = await t.call('POST', '/api/agents', {
      as: 'operator',
      body: { name: 'classic', capabilities: ['legacy'], priority_score: 1 },
    });
    expect(reg.status).toBe(201);
    expect(
      (await t.call('PUT', '/api/agents/classic/status', { as: 'operator', body: { status: 'offline' } })).body
    ).toMatchObject({ status: 'offline' });
    const created = await t.call('POST', '/api/tasks', {
      as: 'operator',
      body: {
        title: 'old style',
        description: 'from the classic client',
        priority: 2,
        category: 'legacy',
        estimated_duration: 5,
        dependencies: [],
      },
    });
    expect(created.status).toBe(201);
    const id = (created.body as TaskBody).id;
    // Offline agents get nothing; a manual assignment to one is refused.
    expect(
      (await t.call('POST', `/api/tasks/${id}/assign`, { as: 'operator', body: { agent: 'classic' } })).status
    ).toBe(409);
    await t.call('PUT', '/api/agents/classic/status', { as: 'operator', body: { status: 'idle' } });
    await t.call('PATCH', '/api/v1/agents/classic', { as: 'operator', body: { max_tasks: 10 } });
    const assigned = await waitFor(async () => {
      const r = await t.call('GET', `/api/v1/tasks/${id}`, { as: 'viewer' });
      return (r.body as TaskBody).agent ? r.body : null;
    });
    expect(assigned).toMatchObject({ status: 'assigned' });
    const upd = await t.call('PUT', `/api/tasks/${id}`, {
      as: 'operator',
      body: { status: 'completed', actual_duration: 3 },
    });
    expect(upd.body).toMatchObject({ status: 'done', actual_duration: 3 });
    const list = await t.call('GET', '/api/tasks?status=done&limit=500', { as: 'viewer' });
    expect((list.body as { items: TaskBody[] }).items.map((x) => x.id)).toContain(id);
    const agents = await t.call('GET', '/api/agents?capability=legacy', { as: 'viewer' });
    expect((agents.body as { items: { name: string }[] }).items.map((a) => a.name)).toEqual(['classic']);
  });

  it('lists page with cursors and reject bad filters with field paths', async () => {
    for (let i = 0; i < 5; i++)
      await t.call('POST', '/api/v1/tasks', {
        as: 'operator',
        body: { title: `page ${i}`, category: 'paging', required_capabilities: ['nobody-has-this'] },
      });
    const seen: number[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const r = await t.call('GET', `/api/v1/tasks?category=paging&limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
        as: 'viewer',
      });
      const b = r.body as { items: TaskBody[]; next_cursor: string | null };
      seen.push(...b.items.map((x) => x.id));
      cursor = b.next_cursor;
    }
    expect(seen).toHaveLength(5);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    const bad = await t.call('GET', '/api/v1/tasks?status=sleeping', { as: 'viewer' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('query.status');
    const badBody = await t.call('POST', '/api/v1/agents', {
      as: 'operator',
      body: { name: 'has.dot', capabilities: 'x' },
    });
    expect(badBody.status).toBe(400);
    expect(JSON.stringify(badBody.body)).toContain('body.name');
  });
});
