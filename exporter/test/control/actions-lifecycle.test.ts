import { grafanaContext } from '../helpers/sidecar';
import { type ControlHarness, makeCanary, startControlHarness } from './control-harness';

describe('action lifecycle against the example workload', () => {
  let h: ControlHarness;
  beforeEach(async () => {
    h = await startControlHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  test('kill stops the workload, is verified from telemetry, and every step is in the scheduler feed', async () => {
    const plan = await h.t.call('POST', '/api/v1/actions/kill/plan', { as: 'operator', body: {} });
    expect(plan.status).toBe(200);
    const p = plan.body as {
      plan_id: string;
      allowed: boolean;
      changes: { field: string; from: unknown; to: unknown }[];
      expires_at: string;
    };
    expect(p.allowed).toBe(true);
    expect(p.changes).toEqual(
      expect.arrayContaining([
        { field: 'kill_switch.engaged', from: false, to: true },
        { field: 'workload.state_active', from: 1, to: 0 },
      ])
    );
    const apply = await h.t.call('POST', '/api/v1/actions/kill/apply', {
      as: 'grafana',
      body: { plan_id: p.plan_id, reason: 'market halt drill' },
      headers: { 'idempotency-key': 'kill-1', 'x-grafana-context': grafanaContext({ login: 'alice', role: 'Editor' }) },
    });
    expect(apply.status).toBe(202);
    const id = (apply.body as { id: string }).id;
    const done = await h.settled(id);
    expect(done['status']).toBe('verified');
    expect(done['actor']).toBe('grafana:alice');
    expect(h.sim.getState().killed).toBe(true);
    const status = await h.t.call('GET', '/api/v1/status', { as: 'viewer' });
    expect((status.body as { kill_switch: Record<string, unknown> }).kill_switch).toMatchObject({
      engaged: true,
      actor: 'grafana:alice',
      reason: 'market halt drill',
    });
    const feed = await h.t.call('GET', `/api/v1/feeds/scheduler?subject=${id}&limit=50`, { as: 'viewer' });
    const kinds = (feed.body as { items: { kind: string }[] }).items.map((e) => e.kind).reverse();
    expect(kinds).toEqual(['action.planned', 'action.applying', 'action.applied', 'action.verified']);
  });

  test('retrain makes a new generation appear in the lineage and is verified', async () => {
    const before = h.t.sidecar.ctx.lineage.current().generations.length;
    const r = await h.act('retrain');
    expect(r.status).toBe(202);
    const done = await h.settled(r.body['id'] as string);
    expect(done['status']).toBe('verified');
    const lineage = await h.t.call('GET', '/api/v1/lineage', { as: 'viewer' });
    const gens = (lineage.body as { generations: { id: string }[] }).generations;
    expect(gens.length).toBe(before + 1);
    expect(gens.map((g) => g.id)).toContain((done['result'] as { data: { generation: string } }).data.generation);
  });

  test('while the kill switch is engaged, canary_promote is refused with 409 and nothing is sent', async () => {
    await makeCanary(h);
    const kill = await h.act('kill');
    await h.settled(kill.body['id'] as string);
    const plan = await h.t.call('POST', '/api/v1/actions/canary_promote/plan', { as: 'operator', body: {} });
    expect((plan.body as { allowed: boolean; interlocks: { code: string }[] }).allowed).toBe(false);
    expect((plan.body as { interlocks: { code: string }[] }).interlocks.map((i) => i.code)).toContain(
      'kill_switch_engaged'
    );
    const r = await h.act('canary_promote');
    expect(r.status).toBe(409);
    expect((r.body as { error: { code: string } }).error.code).toBe('interlock');
    const classic = await h.t.call('POST', '/canary_promote?reason=try%20anyway', { as: 'operator' });
    expect(classic.status).toBe(409);
    expect(h.sim.getState().canary).not.toBeNull();
  });

  test('replaying an apply with the same key returns the same action; another body with that key is 409', async () => {
    const plan = await h.t.call('POST', '/api/v1/actions/retrain/plan', { as: 'operator', body: {} });
    const planId = (plan.body as { plan_id: string }).plan_id;
    const send = (reason: string) =>
      h.t.call('POST', '/api/v1/actions/retrain/apply', {
        as: 'operator',
        body: { plan_id: planId, reason },
        headers: { 'idempotency-key': 'same-key' },
      });
    const first = await send('nightly retrain');
    const second = await send('nightly retrain');
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect((second.body as { id: string }).id).toBe((first.body as { id: string }).id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const other = await send('a different reason');
    expect(other.status).toBe(409);
    expect((other.body as { error: { code: string } }).error.code).toBe('idempotency_mismatch');
    await h.settled((first.body as { id: string }).id);
    const list = await h.t.call('GET', '/api/v1/actions?action=retrain', { as: 'viewer' });
    expect((list.body as { items: unknown[] }).items).toHaveLength(1);
  });

  test('a plan is refused with 409 plan_stale when the state changed since it was made', async () => {
    const plan = await h.t.call('POST', '/api/v1/actions/retrain/plan', { as: 'operator', body: {} });
    const planId = (plan.body as { plan_id: string }).plan_id;
    const pause = await h.t.call('POST', '/api/v1/scheduler/pause', {
      as: 'operator',
      body: { reason: 'maintenance window' },
    });
    expect(pause.status).toBe(200);
    const r = await h.t.call('POST', '/api/v1/actions/retrain/apply', {
      as: 'operator',
      body: { plan_id: planId, reason: 'retrain' },
      headers: { 'idempotency-key': 'stale-1' },
    });
    expect(r.status).toBe(409);
    const err = (r.body as { error: { code: string; details: { changed: { field: string }[] } } }).error;
    expect(err.code).toBe('plan_stale');
    expect(err.details.changed.map((c) => c.field)).toContain('scheduler.paused');
  });

  test('apply without an Idempotency-Key or a reason is a 400 naming the field', async () => {
    const plan = await h.t.call('POST', '/api/v1/actions/retrain/plan', { as: 'operator', body: {} });
    const planId = (plan.body as { plan_id: string }).plan_id;
    const noKey = await h.t.call('POST', '/api/v1/actions/retrain/apply', {
      as: 'operator',
      body: { plan_id: planId, reason: 'why not' },
    });
    expect(noKey.status).toBe(400);
    expect(JSON.stringify(noKey.body)).toContain('headers.idempotency-key');
    const noReason = await h.t.call('POST', '/api/v1/actions/retrain/apply', {
      as: 'operator',
      body: { plan_id: planId },
      headers: { 'idempotency-key': 'x-1' },
    });
    expect(noReason.status).toBe(400);
    expect(JSON.stringify(noReason.body)).toContain('body.reason');
  });

  test('control routes answer 401 without a token and 403 for a viewer; kill_release needs an admin', async () => {
    expect((await h.t.call('POST', '/api/v1/actions/kill/plan', { as: null, body: {} })).status).toBe(401);
    expect((await h.t.call('POST', '/api/v1/actions/kill/plan', { as: 'viewer', body: {} })).status).toBe(403);
    expect((await h.t.call('POST', '/kill', { as: 'viewer', body: { reason: 'no way' } })).status).toBe(403);
    expect((await h.t.call('POST', '/kill', { as: null, body: { reason: 'no way' } })).status).toBe(401);
    const kill = await h.t.call('POST', '/kill', { as: 'operator', body: { reason: 'classic kill' } });
    expect(kill.status).toBe(202);
    await h.settled((kill.body as { id: string }).id);
    expect((await h.t.call('POST', '/api/v1/actions/kill_release/plan', { as: 'operator', body: {} })).status).toBe(
      403
    );
    const release = await h.act('kill_release', { as: 'admin', reason: 'drill over' });
    expect(release.status).toBe(202);
    const done = await h.settled(release.body['id'] as string);
    expect(done['status']).toBe('verified');
    expect(h.sim.getState().killed).toBe(false);
    expect(h.t.sidecar.control.killSwitch.isEngaged()).toBe(false);
  });

  test('classic paths need a reason, from the body or ?reason=', async () => {
    const none = await h.t.call('POST', '/retrain', { as: 'operator', body: {} });
    expect(none.status).toBe(400);
    const viaQuery = await h.t.call('POST', '/retrain?reason=drift%20is%20high', { as: 'operator' });
    expect(viaQuery.status).toBe(202);
    expect((viaQuery.body as { reason: string; trigger: string }).reason).toBe('drift is high');
    expect((viaQuery.body as { trigger: string }).trigger).toBe('classic');
    await h.settled((viaQuery.body as { id: string }).id);
  });

  test('flush_guardrails is refused while a critical incident is open, unless an admin uses break-glass', async () => {
    h.t.sidecar.control.incidents.open({ rule: 'test_rule', severity: 'critical', title: 'pnl collapse' });
    const refused = await h.act('flush_guardrails');
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toContain('critical_incident_open');
    const opBreak = await h.t.call('POST', '/api/v1/actions/flush_guardrails/plan', {
      as: 'operator',
      body: { break_glass: true },
    });
    expect(opBreak.status).toBe(403);
    const plan = await h.t.call('POST', '/api/v1/actions/flush_guardrails/plan', {
      as: 'admin',
      body: { break_glass: true },
    });
    const p = plan.body as {
      plan_id: string;
      allowed: boolean;
      interlocks: { code: string; overridden?: boolean }[];
      expires_at: string;
    };
    expect(p.allowed).toBe(true);
    expect(p.interlocks).toEqual([expect.objectContaining({ code: 'critical_incident_open', overridden: true })]);
    const apply = await h.t.call('POST', '/api/v1/actions/flush_guardrails/apply', {
      as: 'admin',
      body: { plan_id: p.plan_id, reason: 'guardrail stuck after the fix' },
      headers: { 'idempotency-key': 'bg-1' },
    });
    expect(apply.status).toBe(202);
    const done = await h.settled((apply.body as { id: string }).id);
    expect(done['status']).toBe('verified');
    expect(done['break_glass']).toBe(true);
    const used = h.t.sidecar.ctx.events.query({ kinds: ['break_glass.used'], limit: 5 });
    expect(used[0]?.actor).toBe('admin');
    const audit = await h.t.call('GET', '/api/v1/audit?action=apply:flush_guardrails', { as: 'admin' });
    expect((audit.body as { items: { reason: string; status: number }[] }).items[0]).toMatchObject({
      reason: 'guardrail stuck after the fix',
      status: 202,
    });
  });

  test('without a canary the promote plan names the no_canary interlock', async () => {
    const plan = await h.t.call('POST', '/api/v1/actions/canary_promote/plan', { as: 'operator', body: {} });
    expect((plan.body as { allowed: boolean }).allowed).toBe(false);
    expect((plan.body as { interlocks: { code: string }[] }).interlocks.map((i) => i.code)).toContain('no_canary');
  });

  test('an action nobody answers fails and opens an incident', async () => {
    // Detach the workload from the bus: the request finds no responders.
    h.sim.stop();
    const r = await h.act('retrain');
    expect(r.status).toBe(202);
    const done = await h.settled(r.body['id'] as string);
    expect(done['status']).toBe('failed');
    expect(String(done['error'])).toContain('no responders');
    const incident = await h.t.call('GET', `/api/v1/incidents/${String(done['incident_id'])}`, { as: 'viewer' });
    expect(incident.status).toBe(200);
    expect((incident.body as { rule: string }).rule).toBe('action_verification');
  });

  test('a cooldown refuses a second apply until it ends', async () => {
    await h.stop();
    h = await startControlHarness({ overrides: { actions: { cooldowns: { retrain: '1h' } } } });
    const first = await h.act('retrain');
    expect(first.status).toBe(202);
    await h.settled(first.body['id'] as string);
    const second = await h.act('retrain');
    expect(second.status).toBe(409);
    expect(JSON.stringify(second.body)).toContain('cooldown');
  });
});
