import fs from 'node:fs';
import path from 'node:path';
import { KILL_SWITCH_KEY } from '../../src/guardian';
import { type ControlHarness, startControlHarness } from './control-harness';
import { asGrafana, tempDir } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';

const writeTelemetry = (workspace: string, metrics: Record<string, number>): void => {
  const file = path.join(workspace, 'telemetry', 'snapshot.json');
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(
    tmp,
    JSON.stringify({ ts: new Date().toISOString(), metrics, labels: { model: 'momentum-policy', generation: 'x' } })
  );
  fs.renameSync(tmp, file);
};

const pnlRule = {
  name: 'pnl_collapse',
  type: 'threshold' as const,
  metric: 'pnl_realized',
  op: '<' as const,
  value: -1000,
  for: 0,
  severity: 'critical' as const,
  open_diagnostic: true,
  playbook: [
    { do: 'kill_switch' as const },
    { do: 'pause_scheduler' as const },
    { do: 'notify' as const, message: 'PnL collapsed' },
  ],
};

describe('guardian', () => {
  let h: ControlHarness | null = null;
  afterEach(async () => {
    await h?.stop();
    h = null;
  });

  test('a threshold rule fires from a telemetry file, opens an incident, and its playbook engages the kill switch', async () => {
    h = await startControlHarness({ overrides: { guardian: { enabled: false, rules: [pnlRule] } } });
    const notified: unknown[] = [];
    h.bus.subscribe('lookout.notify.test-node', (m) => void notified.push(m.data));
    expect(h.t.sidecar.control.guardian.tick().map((r) => r.verdict)).toEqual(['pass']);
    writeTelemetry(h.t.workspace, { pnl_realized: -5000, state_active: 1 });
    await waitFor(() => h!.t.sidecar.ctx.telemetryRepo.latestValue('pnl_realized')?.value === -5000);
    const [result] = h.t.sidecar.control.guardian.tick();
    expect(result?.verdict).toBe('fail');

    const incidents = await h.t.call('GET', '/api/v1/incidents?status=open', { as: 'viewer' });
    const items = (incidents.body as { items: { id: string; rule: string; severity: string }[] }).items;
    expect(items).toEqual([expect.objectContaining({ rule: 'pnl_collapse', severity: 'critical' })]);
    const opened = h.t.sidecar.ctx.events.query({ kinds: ['incident.opened'], limit: 1 })[0]!;
    expect(opened.data).toMatchObject({
      incident_id: items[0]!.id,
      rule: 'pnl_collapse',
      node: 'test-node',
      severity: 'critical',
      open_diagnostic: true,
    });
    expect(typeof opened.data['title']).toBe('string');

    const kill = await waitFor(() => h!.t.sidecar.control.actions.repo.listActions({ action: 'kill', limit: 1 })[0]);
    expect(kill.trigger).toBe('guardian');
    const done = await h.settled(kill.id);
    expect(done['status']).toBe('verified');
    expect(h.sim.getState().killed).toBe(true);
    expect(h.t.sidecar.control.killSwitch.isEngaged()).toBe(true);
    expect(h.t.sidecar.control.scheduler.isPaused()).toBe(true);
    await waitFor(() => notified.length === 1);
    expect(notified[0]).toMatchObject({ rule: 'pnl_collapse', message: 'PnL collapsed' });

    // Latched: the next tick does not fire again or open a second incident.
    h.t.sidecar.control.guardian.tick();
    const again = await h.t.call('GET', '/api/v1/incidents', { as: 'viewer' });
    expect((again.body as { items: unknown[] }).items).toHaveLength(1);
    const metrics = await h.t.call('GET', '/metrics', { as: 'viewer' });
    expect(String(metrics.body)).toMatch(/lookout_guardrail_triggers_total\{[^}]*rule="pnl_collapse"[^}]*\} 1/);
    expect(String(metrics.body)).toMatch(/lookout_kill_switch_engaged\{[^}]*\} 1/);
  });

  test('when the kill action is refused (cooldown), the playbook still engages the kill switch', async () => {
    h = await startControlHarness({
      overrides: { actions: { cooldowns: { kill: '1h' } }, guardian: { enabled: false, rules: [pnlRule] } },
    });
    await h.settled((await h.act('kill')).body['id'] as string);
    await h.settled((await h.act('kill_release', { as: 'admin' })).body['id'] as string);
    expect(h.t.sidecar.control.killSwitch.isEngaged()).toBe(false);
    writeTelemetry(h.t.workspace, { pnl_realized: -5000, state_active: 1 });
    await waitFor(() => h!.t.sidecar.ctx.telemetryRepo.latestValue('pnl_realized')?.value === -5000);
    h.t.sidecar.control.guardian.tick();
    expect(h.t.sidecar.control.killSwitch.state()).toMatchObject({ engaged: true, actor: 'guardian' });
    const step = h.t.sidecar.ctx.events
      .query({ kinds: ['playbook.step'], limit: 10 })
      .find((e) => (e.data['step'] as { do: string }).do === 'kill_switch');
    expect(step?.data).toMatchObject({ ok: false });
    expect(String(step?.data['error'])).toContain('cooling down');
  });

  test('incidents go open → acknowledged → resolved with actor and note; a resolved incident cannot be acknowledged', async () => {
    h = await startControlHarness();
    const inc = h.t.sidecar.control.incidents.open({ rule: 'manual', severity: 'warning', title: 'latency' });
    const ack = await h.t.call('POST', `/api/v1/incidents/${inc.id}/ack`, {
      ...asGrafana({ login: 'bob', role: 'Editor' }),
      body: { note: 'looking' },
    });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ status: 'acknowledged', acknowledged_by: 'grafana:bob', ack_note: 'looking' });
    const res = await h.t.call('POST', `/api/v1/incidents/${inc.id}/resolve`, {
      as: 'operator',
      body: { note: 'venue fixed' },
    });
    expect(res.body).toMatchObject({ status: 'resolved', resolved_by: 'operator', resolve_note: 'venue fixed' });
    const resolved = h.t.sidecar.ctx.events.query({ kinds: ['incident.resolved'], limit: 1 })[0]!;
    expect(resolved.data).toMatchObject({
      incident_id: inc.id,
      rule: 'manual',
      actor: 'operator',
      note: 'venue fixed',
    });
    const late = await h.t.call('POST', `/api/v1/incidents/${inc.id}/ack`, { as: 'operator', body: {} });
    expect(late.status).toBe(409);
    expect((late.body as { error: { code: string; details: { allowed: string[] } } }).error).toMatchObject({
      code: 'invalid_transition',
      details: { allowed: [] },
    });
    expect((await h.t.call('POST', `/api/v1/incidents/${inc.id}/ack`, { as: 'viewer', body: {} })).status).toBe(403);
    expect(
      (await h.t.call('POST', '/api/v1/incidents/01ARZ3NDEKTSV4RRFFQ69G5FAV/ack', { as: 'operator', body: {} })).status
    ).toBe(404);
  });

  test('a shadow rule records that it would fire but opens no incident and runs no playbook', async () => {
    h = await startControlHarness({
      overrides: { guardian: { enabled: false, rules: [{ ...pnlRule, shadow: true }] } },
    });
    writeTelemetry(h.t.workspace, { pnl_realized: -5000, state_active: 1 });
    await waitFor(() => h!.t.sidecar.ctx.telemetryRepo.latestValue('pnl_realized')?.value === -5000);
    expect(h.t.sidecar.control.guardian.tick()[0]?.verdict).toBe('fail');
    const fired = h.t.sidecar.ctx.events.query({ kinds: ['rule.fired'], limit: 1 })[0]!;
    expect(fired.data).toMatchObject({ rule: 'pnl_collapse', shadow: true });
    expect(h.t.sidecar.control.incidents.repo.query({ limit: 10 })).toHaveLength(0);
    expect(h.t.sidecar.control.killSwitch.isEngaged()).toBe(false);
  });

  test('no data follows the rule policy: inconclusive by default, fail when asked', async () => {
    h = await startControlHarness({
      overrides: {
        guardian: {
          enabled: false,
          rules: [
            { name: 'missing_a', type: 'threshold', metric: 'not_reported', op: '>', value: 1 },
            {
              name: 'missing_b',
              type: 'threshold',
              metric: 'not_reported',
              op: '>',
              value: 1,
              no_data: 'fail',
              severity: 'warning',
            },
          ],
        },
      },
    });
    const results = h.t.sidecar.control.guardian.tick();
    expect(results.map((r) => [r.rule, r.verdict, r.no_data])).toEqual([
      ['missing_a', 'inconclusive', true],
      ['missing_b', 'fail', true],
    ]);
    expect(h.t.sidecar.control.incidents.repo.query({ limit: 10 }).map((i) => i.rule)).toEqual(['missing_b']);
  });

  test('an event-rate rule and a heartbeat-staleness rule judge what they are given', async () => {
    h = await startControlHarness({
      overrides: {
        guardian: {
          enabled: false,
          rules: [
            { name: 'error_burst', type: 'event_rate', kind: 'test.error*', window: '1m', op: '>=', value: 3 },
            { name: 'agents_stale', type: 'heartbeat_staleness', max_age: '30s' },
          ],
        },
      },
    });
    const g = h.t.sidecar.control.guardian;
    g.setStalenessProvider({ staleAgents: () => [{ agent: 'a1', age_s: 45 }] });
    for (let i = 0; i < 3; i++)
      h.t.sidecar.ctx.events.append({ source: 'workload', kind: 'test.error.io', severity: 'warning' });
    const results = g.tick();
    expect(results.map((r) => r.verdict)).toEqual(['fail', 'fail']);
    expect(results[1]?.observed).toMatchObject({ stale: [{ agent: 'a1', age_s: 45 }] });
  });

  test('a restart keeps the kill switch engaged', async () => {
    const dataDir = tempDir('restart');
    h = await startControlHarness({ dataDir });
    const kill = await h.act('kill', { reason: 'before restart' });
    await h.settled(kill.body['id'] as string);
    const workspace = h.t.workspace;
    await h.stop();
    h = await startControlHarness({ dataDir, workspace });
    expect(h.t.sidecar.control.killSwitch.state()).toMatchObject({
      engaged: true,
      actor: 'operator',
      reason: 'before restart',
    });
    const retrain = await h.act('retrain');
    expect(retrain.status).toBe(409);
  });

  test('an unreadable kill-switch state counts as engaged', async () => {
    h = await startControlHarness();
    h.t.sidecar.ctx.db
      .prepare('INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)')
      .run(KILL_SWITCH_KEY, '{not json', new Date().toISOString());
    const status = await h.t.call('GET', '/api/v1/status', { as: 'viewer' });
    expect((status.body as { kill_switch: { engaged: boolean; fail_safe?: string } }).kill_switch).toMatchObject({
      engaged: true,
    });
    expect((await h.act('retrain')).status).toBe(409);
  });
});
