import { type ControlHarness, makeCanary, startControlHarness } from './control-harness';
import { waitFor } from '../helpers/wait';
import { schedulerPolicySchema } from '../../src/scheduler';

describe('scheduler', () => {
  let h: ControlHarness | null = null;
  afterEach(async () => {
    await h?.stop();
    h = null;
  });

  const drift = { name: 'drift_retrain', type: 'drift' as const, threshold: 0.5, for: 0, action: 'retrain' };

  test('drift above its threshold retrains, and the decision keeps its why, linked from its feed row', async () => {
    h = await startControlHarness({ overrides: { scheduler: { enabled: false, policies: [drift] } } });
    const s = h.t.sidecar.control.scheduler;
    h.t.sidecar.ctx.telemetry.ingest({ metrics: { drift_score: 0.2 }, labels: {} }, 'api');
    expect(s.tick().map((d) => d.verdict)).toEqual(['hold']);
    h.t.sidecar.ctx.telemetry.ingest({ metrics: { drift_score: 0.9 }, labels: {} }, 'api');
    const [d] = s.tick();
    expect(d).toMatchObject({ verdict: 'act', policy: 'drift_retrain', action: 'retrain' });
    expect(d!.action_id).toEqual(expect.any(String));
    const done = await h.settled(d!.action_id!);
    expect(done).toMatchObject({ status: 'verified', trigger: 'scheduler', decision_id: d!.id });

    const got = await h.t.call('GET', `/api/v1/decisions/${d!.id}`, { as: 'viewer' });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      verdict: 'act',
      rule_version: expect.any(String),
      inputs: expect.objectContaining({ value: 0.9 }),
      thresholds: { metric: 'drift_score', threshold: 0.5, for_ms: 0 },
    });
    const feed = await h.t.call('GET', '/api/v1/feeds/scheduler?kind=decision.made', { as: 'viewer' });
    const row = (feed.body as { items: { data: Record<string, unknown> }[] }).items[0]!;
    expect(row.data['decision_id']).toBe(d!.id);
  });

  test('nothing is scheduled while the kill switch is engaged or the scheduler is paused', async () => {
    h = await startControlHarness({ overrides: { scheduler: { enabled: false, policies: [drift] } } });
    const s = h.t.sidecar.control.scheduler;
    h.t.sidecar.ctx.telemetry.ingest({ metrics: { drift_score: 0.9 }, labels: {} }, 'api');
    const pause = await h.t.call('POST', '/api/v1/scheduler/pause', { as: 'operator', body: { reason: 'freeze' } });
    expect(pause.body).toMatchObject({ paused: true, actor: 'operator', reason: 'freeze' });
    expect((await h.t.call('GET', '/api/v1/status', { as: 'viewer' })).body).toMatchObject({
      scheduler: { paused: true },
    });
    expect(s.tick()[0]).toMatchObject({ verdict: 'blocked', action_id: null });
    await h.t.call('POST', '/api/v1/scheduler/resume', { as: 'operator', body: { reason: 'thaw' } });
    await h.settled((await h.act('kill')).body['id'] as string);
    h.t.sidecar.ctx.telemetry.ingest({ metrics: { drift_score: 0.9 }, labels: {} }, 'api');
    const [d] = s.tick();
    expect(d).toMatchObject({ verdict: 'blocked', action_id: null });
    expect(d!.reason).toMatch(/^kill_switch/);
    expect(h.t.sidecar.control.actions.repo.listActions({ action: 'retrain', limit: 5 })).toHaveLength(0);
  });

  test('a canary that beats the active generation for N evaluations is promoted; one that does not is held', async () => {
    h = await startControlHarness({ overrides: { scheduler: { enabled: false, policies: [] } } });
    const canary = await makeCanary(h);
    const l = h.t.sidecar.ctx.lineage.current();
    const sharpe = (id: string | null): number => l.generations.find((g) => g.id === id)!.kpis['sharpe']!;
    // The workload draws KPIs at random: orient the comparison so this canary is the better one.
    const canaryHigher = sharpe(canary) > sharpe(l.active);
    const s = h.t.sidecar.control.scheduler;
    const policy = (higher: boolean) =>
      schedulerPolicySchema.parse({
        name: 'promote',
        type: 'canary',
        kpis: [{ name: 'sharpe', higher_is_better: higher }],
        evaluations: 2,
      });
    s.setPolicies([policy(!canaryHigher)]);
    expect(s.tick()[0]).toMatchObject({ verdict: 'hold', reason: 'canary not better than active' });
    s.setPolicies([policy(canaryHigher)]);
    expect(s.tick()[0]).toMatchObject({ verdict: 'hold', reason: 'canary better (1/2)' });
    const [d] = s.tick();
    expect(d).toMatchObject({ verdict: 'act', action: 'canary_promote' });
    const done = await h.settled(d!.action_id!);
    expect(done['status']).toBe('verified');
    await waitFor(() => h!.t.sidecar.ctx.lineage.current().active === canary);
  });

  test('an interval policy acts once its interval has passed, and the first interval starts when it is first seen', async () => {
    h = await startControlHarness({
      overrides: {
        scheduler: { enabled: false, policies: [{ name: 'hourly', type: 'interval', every: '1h', action: 'retrain' }] },
      },
    });
    const s = h.t.sidecar.control.scheduler;
    const t0 = Date.now();
    expect(s.tick(t0)[0]).toMatchObject({ verdict: 'hold', reason: 'first interval started' });
    expect(s.tick(t0 + 1000)[0]).toMatchObject({ verdict: 'hold', reason: 'interval not yet elapsed' });
    expect(s.tick(t0 + 2000)).toEqual([]);
    const [d] = s.tick(t0 + 3_600_001);
    expect(d).toMatchObject({ verdict: 'act', action: 'retrain' });
    await h.settled(d!.action_id!);
  });

  test('an open critical incident halts the workload even while the scheduler is paused; a cron policy that comes due then is blocked', async () => {
    h = await startControlHarness({
      overrides: {
        scheduler: {
          enabled: false,
          policies: [
            { name: 'halt_on_critical', type: 'halt' },
            { name: 'nightly', type: 'cron', cron: '0 3 * * *', action: 'retrain' },
          ],
        },
      },
    });
    const s = h.t.sidecar.control.scheduler;
    s.pause('operator', 'freeze');
    h.t.sidecar.control.incidents.open({ rule: 'pnl', severity: 'critical', title: 'pnl collapse' });
    const decisions = s.tick(Date.now());
    const halt = decisions.find((d) => d.policy === 'halt_on_critical')!;
    expect(halt).toMatchObject({ verdict: 'act', action: 'kill' });
    expect((await h.settled(halt.action_id!))['status']).toBe('verified');
    expect(h.sim.getState().killed).toBe(true);
    // The cron minute passes: blocked, because the kill switch is now engaged.
    const next = new Date();
    next.setUTCDate(next.getUTCDate() + 1);
    next.setUTCHours(3, 0, 30, 0);
    const cron = s.tick(next.getTime()).find((d) => d.policy === 'nightly');
    expect(cron).toMatchObject({ verdict: 'blocked', action: 'retrain' });
  });

  test('without a canary the canary policy is inconclusive and counted by reason', async () => {
    h = await startControlHarness({
      overrides: { scheduler: { enabled: false, policies: [{ name: 'promote', type: 'canary' }] } },
    });
    expect(h.t.sidecar.control.scheduler.tick()[0]).toMatchObject({ verdict: 'inconclusive', reason: 'no_canary' });
    const m = await h.t.call('GET', '/metrics', { as: 'viewer' });
    expect(String(m.body)).toMatch(/lookout_decisions_inconclusive_total\{[^}]*reason="no_canary"[^}]*\} 1/);
  });
});
