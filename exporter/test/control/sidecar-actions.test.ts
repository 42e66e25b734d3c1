import { plan, planAndApply } from '../helpers/actions';
import { asGrafana, type TestSidecar, startTestSidecar } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';

interface TaskBody {
  id: number;
  status: string;
  agent: string | null;
}

const editor = asGrafana({ login: 'erin', role: 'Editor' }).headers;
const viewerPerson = asGrafana({ login: 'vic', role: 'Viewer' }).headers;

describe("the sidecar's own controls as actions (plan → apply with a reason)", () => {
  let t: TestSidecar;
  const told: Record<string, unknown>[] = [];

  const task = async (id: number): Promise<TaskBody> =>
    (await t.call('GET', `/api/v1/tasks/${id}`, { as: 'viewer' })).body as TaskBody;
  const createTask = async (body: Record<string, unknown>): Promise<TaskBody> => {
    const r = await t.call('POST', '/api/v1/tasks', { as: 'operator', body });
    expect(r.status).toBe(201);
    return r.body as TaskBody;
  };
  const register = async (name: string, capabilities: string[], extra: Record<string, unknown> = {}) => {
    const r = await t.call('POST', '/api/v1/agents', { as: 'operator', body: { name, capabilities, ...extra } });
    expect(r.status).toBe(201);
  };
  const heldBy = (id: number, agent: string) =>
    waitFor(async () => {
      const x = await task(id);
      return x.agent === agent && x.status === 'assigned' ? x : null;
    });

  beforeAll(async () => {
    t = await startTestSidecar({
      overrides: { agents: { assign_interval_ms: 50, stale_check_interval_ms: 50, heartbeat_window_s: 3600 } },
    });
    t.sidecar.ctx.bus.subscribe('lookout.tasks.*', (m) => {
      told.push({ subject: m.subject, ...(m.data as Record<string, unknown>) });
    });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('shows who paused the scheduler and why — the guardian included — and lets an Editor lift it, recording the person', async () => {
    t.sidecar.control.scheduler.pause('guardian', 'critical incident: drift runaway', { incident_id: 'inc-1' });

    const again = await plan(t.call, 'scheduler_pause', {}, { as: 'grafana', headers: editor });
    expect(again.status).toBe(200);
    expect(again.body.allowed).toBe(false);
    expect(again.body.interlocks).toEqual([
      {
        code: 'already_paused',
        message: 'the scheduler is already paused by guardian: critical incident: drift runaway',
      },
    ]);

    const refused = await plan(t.call, 'scheduler_resume', {}, { as: 'grafana', headers: viewerPerson });
    expect(refused.status).toBe(403);

    const { plan: p, action } = await planAndApply(t.call, 'scheduler_resume', {}, 'drift understood, resuming', {
      as: 'grafana',
      headers: editor,
    });
    expect(p.state['target']).toMatchObject({
      scheduler: { paused: true, actor: 'guardian', reason: 'critical incident: drift runaway' },
    });
    expect(p.changes).toEqual([{ field: 'scheduler.paused', from: true, to: false }]);
    expect(action).toMatchObject({ status: 'applied', executor: 'local', actor: 'grafana:erin' });

    const status = (await t.call('GET', '/api/v1/status', { as: 'viewer' })).body as { scheduler: unknown };
    expect(status.scheduler).toMatchObject({
      paused: false,
      actor: 'grafana:erin',
      reason: 'drift understood, resuming',
    });
    const feed = (await t.call('GET', '/api/v1/feeds/scheduler?kind=scheduler.resumed', { as: 'viewer' })).body as {
      items: { actor: string; data: Record<string, unknown> }[];
    };
    expect(feed.items[0]).toMatchObject({ actor: 'grafana:erin', data: { action_id: action['id'] } });
  });

  it('pauses through the one-call route too, answering with the action it ran', async () => {
    const r = await t.call('POST', '/api/v1/scheduler/pause', {
      as: 'operator',
      body: { reason: 'maintenance window' },
    });
    expect(r.status).toBe(200);
    const body = r.body as { paused: boolean; actor: string; action_id: string };
    expect(body).toMatchObject({ paused: true, actor: 'operator', reason: 'maintenance window' });
    const a = (await t.call('GET', `/api/v1/actions/${body.action_id}`, { as: 'viewer' })).body;
    expect(a).toMatchObject({ action: 'scheduler_pause', status: 'applied', reason: 'maintenance window' });
    const same = await t.call('POST', '/api/v1/scheduler/pause', { as: 'operator', body: { reason: 'again' } });
    expect(same.body).toMatchObject({ paused: true, reason: 'maintenance window', action_id: null });
    await t.call('POST', '/api/v1/scheduler/resume', { as: 'operator', body: { reason: 'window over' } });
  });

  it('lets the kill switch refuse workload actions but not pausing the scheduler or tending the queue', async () => {
    t.sidecar.control.killSwitch.engage('operator', 'test', {});
    try {
      const pause = await plan(t.call, 'scheduler_pause', {});
      expect(pause.body).toMatchObject({ allowed: true, interlocks: [] });
      const retrain = await plan(t.call, 'retrain', {});
      expect(retrain.body.interlocks.map((i) => i.code)).toContain('kill_switch_engaged');
    } finally {
      t.sidecar.control.killSwitch.release('operator', 'test', {});
    }
  });

  it('drains an agent: it keeps its task, gets nothing new, refuses a manual assignment with the reason, and works again once undrained', async () => {
    await register('drainee', ['drain'], { max_tasks: 2 });
    const first = await createTask({ title: 'kept', required_capabilities: ['drain'] });
    await heldBy(first.id, 'drainee');

    const { action } = await planAndApply(t.call, 'agent_drain', { agent: 'drainee' }, 'decommissioning host');
    expect(action).toMatchObject({ status: 'applied' });
    expect((await t.call('GET', '/api/v1/agents/drainee', { as: 'viewer' })).body).toMatchObject({ draining: true });

    const second = await createTask({ title: 'new work', required_capabilities: ['drain'] });
    // A round that runs now hands out nothing: the only capable agent is draining.
    expect(t.sidecar.agents.assignRound().map((x) => x.task.id)).not.toContain(second.id);
    expect(await task(second.id)).toMatchObject({ status: 'queued', agent: null });
    expect(await task(first.id)).toMatchObject({ status: 'assigned', agent: 'drainee' });

    const manual = await plan(t.call, 'task_assign', { task_id: second.id, agent: 'drainee' });
    expect(manual.body.allowed).toBe(false);
    expect(manual.body.interlocks).toEqual([
      { code: 'agent_draining', message: 'agent drainee is draining: it takes no new work' },
    ]);
    const direct = await t.call('POST', `/api/v1/tasks/${second.id}/assign`, {
      as: 'operator',
      body: { agent: 'drainee' },
    });
    expect(direct.status).toBe(409);

    await planAndApply(t.call, 'agent_undrain', { agent: 'drainee' }, 'host stays');
    await heldBy(second.id, 'drainee');
  });

  it('moves a task to another agent, telling the one it was taken from', async () => {
    await register('mover-a', ['move'], { priority_score: 10 });
    await register('mover-b', ['move']);
    const x = await createTask({ title: 'movable', required_capabilities: ['move'] });
    await heldBy(x.id, 'mover-a');
    const { plan: p } = await planAndApply(
      t.call,
      'task_assign',
      { task_id: x.id, agent: 'mover-b' },
      'mover-a is overloaded'
    );
    expect(p.changes).toEqual([{ field: 'task.agent', from: 'mover-a', to: 'mover-b' }]);
    expect(await task(x.id)).toMatchObject({ status: 'assigned', agent: 'mover-b' });
    await waitFor(() =>
      told.find(
        (m) => m['subject'] === 'lookout.tasks.mover-a' && m['type'] === 'task.revoked' && m['task_id'] === x.id
      )
    );
    expect(told.find((m) => m['subject'] === 'lookout.tasks.mover-a' && m['task_id'] === x.id)).toMatchObject({
      reason: 'reassigned',
    });
    const assigned = (
      await t.call('GET', `/api/v1/feeds/agents?kind=task.assigned&subject=task/${x.id}`, {
        as: 'viewer',
      })
    ).body as { items: { actor: string | null; data: Record<string, unknown> }[] };
    expect(assigned.items[0]).toMatchObject({
      actor: 'operator',
      data: { agent: 'mover-b', from_agent: 'mover-a', manual: true, reason: 'mover-a is overloaded' },
    });
  });

  it('cancels a held task with a reason; its agent is told and the attempt ends cancelled', async () => {
    await register('canceller', ['cancel']);
    const x = await createTask({ title: 'doomed', required_capabilities: ['cancel'] });
    await heldBy(x.id, 'canceller');
    await planAndApply(t.call, 'task_cancel', { task_id: x.id }, 'no longer needed');
    expect(await task(x.id)).toMatchObject({ status: 'cancelled' });
    const attempts = (await t.call('GET', `/api/v1/tasks/${x.id}/attempts`, { as: 'viewer' })).body as {
      items: { outcome: string }[];
    };
    expect(attempts.items.map((a) => a.outcome)).toEqual(['cancelled']);
    await waitFor(() =>
      told.find(
        (m) => m['subject'] === 'lookout.tasks.canceller' && m['type'] === 'task.revoked' && m['task_id'] === x.id
      )
    );
    const again = await plan(t.call, 'task_cancel', { task_id: x.id });
    expect(again.body.interlocks.map((i) => i.code)).toEqual(['invalid_state']);
  });

  it('refuses to apply a plan whose task changed since, naming what changed', async () => {
    await register('stale-agent', ['stale']);
    const x = await createTask({ title: 'moving target', required_capabilities: ['stale'] });
    await heldBy(x.id, 'stale-agent');
    const p = await plan(t.call, 'task_requeue', { task_id: x.id });
    expect(p.body.allowed).toBe(true);
    await t.call('PATCH', `/api/v1/tasks/${x.id}`, { as: 'operator', body: { status: 'in_progress' } });
    const r = await t.call('POST', '/api/v1/actions/task_requeue/apply', {
      as: 'operator',
      headers: { 'idempotency-key': `stale-${x.id}` },
      body: { plan_id: p.body.plan_id, reason: 'try it' },
    });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({
      error: {
        code: 'plan_stale',
        details: { changed: [{ field: 'target.task.status', planned: 'assigned', now: 'in_progress' }] },
      },
    });
  });

  it('deregisters an agent through its action; the tasks it held go back to the queue', async () => {
    await register('leaver', ['leave']);
    const x = await createTask({ title: 'left behind', required_capabilities: ['leave'] });
    await heldBy(x.id, 'leaver');
    const { plan: p } = await planAndApply(t.call, 'agent_deregister', { agent: 'leaver' }, 'host retired');
    expect(p.changes).toEqual([
      { field: 'agent.registered', from: true, to: false },
      { field: `task.${x.id}.status`, from: 'held', to: 'queued' },
    ]);
    expect((await t.call('GET', '/api/v1/agents/leaver', { as: 'viewer' })).status).toBe(404);
    expect(await task(x.id)).toMatchObject({ status: 'queued', agent: null });
  });

  it.each([
    ['task_cancel', {}, 'body.params.task_id'],
    ['task_assign', { task_id: 'seven' }, 'body.params.task_id'],
    ['agent_drain', { agent: 'no spaces allowed' }, 'body.params.agent'],
    ['scheduler_pause', { force: true }, 'body.params'],
  ])('refuses %s with params %j as a 400 naming %s', async (name, params, field) => {
    const r = await plan(t.call, name, params);
    expect(r.status).toBe(400);
    const err = (r.body as unknown as { error: { code: string; details: { path: string }[] } }).error;
    expect(err.code).toBe('invalid_request');
    expect(err.details.map((d) => d.path)).toContain(field);
  });
});
