import type { GuardianRule } from '../../src/guardian';
import { guardianRuleSchema } from '../../src/guardian';
import { type TestSidecar, startTestSidecar } from '../helpers/sidecar';

const rule = (over: Record<string, unknown>): GuardianRule =>
  guardianRuleSchema.parse({ type: 'threshold', metric: 'pnl_realized', op: '<', value: -1000, ...over });

const LIVE = rule({ name: 'pnl_live', severity: 'critical', playbook: [{ do: 'notify' }] });
const SHADOW = rule({ name: 'pnl_shadow', shadow: true, playbook: [{ do: 'kill_switch' }, { do: 'pause_scheduler' }] });

describe('shadow mode', () => {
  let t: TestSidecar;
  beforeEach(async () => {
    t = await startTestSidecar({ overrides: { guardian: { enabled: false, rules: [LIVE, SHADOW] as never } } });
  });
  afterEach(async () => {
    await t.stop();
  });

  const report = (pnl: number): void => {
    expect(t.sidecar.ctx.telemetry.ingest({ metrics: { pnl_realized: pnl } }, 'api')).toMatchObject({ ok: true });
  };
  const fired = (name: string) =>
    t.sidecar.ctx.events.query({ kinds: ['rule.fired'], subject: name, limit: 50 }).reverse();
  const flush = async (): Promise<void> => {
    const plan = await t.call('POST', '/api/v1/actions/flush_guardrails/plan', {
      as: 'admin',
      body: { break_glass: true },
    });
    const r = await t.call('POST', '/api/v1/actions/flush_guardrails/apply', {
      as: 'admin',
      body: { plan_id: (plan.body as { plan_id: string }).plan_id, reason: 'clear the latches' },
      headers: { 'idempotency-key': `flush-${Math.random()}` },
    });
    expect(r.status).toBe(202);
    await t.sidecar.control.actions.settle();
  };

  test('a shadow rule is judged live and records its decision with the provenance of a live one, acting on nothing', async () => {
    report(-5000);
    const results = t.sidecar.control.guardian.tick();
    expect(results.map((r) => [r.rule, r.verdict])).toEqual([
      ['pnl_live', 'fail'],
      ['pnl_shadow', 'fail'],
    ]);
    const [live] = fired('pnl_live');
    const [shadow] = fired('pnl_shadow');
    const provenance = [
      'rule',
      'shadow',
      'rule_version',
      'policy_version',
      'at',
      'verdict',
      'no_data',
      'observed',
      'thresholds',
    ];
    expect(Object.keys(live!.data)).toEqual(expect.arrayContaining(provenance));
    expect(Object.keys(shadow!.data)).toEqual(expect.arrayContaining(provenance));
    expect(shadow!.data).toMatchObject({
      shadow: true,
      policy_version: live!.data['policy_version'],
      at: live!.data['at'],
      observed: { metric: 'pnl_realized', value: -5000 },
      thresholds: { op: '<', value: -1000 },
      would_run: [{ do: 'kill_switch' }, { do: 'pause_scheduler' }],
    });
    expect(shadow!.data['incident_id']).toBeUndefined();
    expect(live!.data).toMatchObject({ shadow: false, incident_id: expect.any(String) });
    // Nothing acted for the shadow rule: no incident, no step, no kill, no pause.
    expect(t.sidecar.control.incidents.repo.query({ limit: 10 }).map((i) => i.rule)).toEqual(['pnl_live']);
    const steps = t.sidecar.ctx.events.query({ kinds: ['playbook.step'], limit: 10 });
    expect(steps.map((s) => s.subject)).toEqual(['pnl_live']);
    expect(t.sidecar.control.killSwitch.isEngaged()).toBe(false);
    expect(t.sidecar.control.scheduler.isPaused()).toBe(false);
    const metrics = String((await t.call('GET', '/metrics', { as: 'viewer' })).body);
    expect(metrics).toMatch(
      /^lookout_guardrail_triggers_total\{rule="pnl_shadow",shadow="true",node="test-node"\} 1$/m
    );
    expect(metrics).toMatch(/^lookout_guardrail_triggers_total\{rule="pnl_live",shadow="false",node="test-node"\} 1$/m);
  });

  test('a shadow rule latches like a live one: once until flush_guardrails, then again; its recovery is marked shadow', async () => {
    report(-5000);
    for (let i = 0; i < 3; i++) t.sidecar.control.guardian.tick();
    expect(fired('pnl_shadow')).toHaveLength(1);
    const status = (await t.call('GET', '/api/v1/status', { as: 'viewer' })).body as {
      guardian: { latched: string[]; shadow_latched: string[]; shadow_rules: number };
    };
    expect(status.guardian).toMatchObject({ latched: ['pnl_live'], shadow_latched: ['pnl_shadow'], shadow_rules: 1 });
    await flush();
    t.sidecar.control.guardian.tick();
    expect(fired('pnl_shadow')).toHaveLength(2);
    report(0);
    t.sidecar.control.guardian.tick();
    const recovered = t.sidecar.ctx.events.query({ kinds: ['rule.recovered'], subject: 'pnl_shadow', limit: 5 });
    expect(recovered.map((e) => e.data['shadow'])).toEqual([true]);
  });

  test('promoted out of shadow, a rule starts unlatched and acts', async () => {
    report(-5000);
    t.sidecar.control.guardian.tick();
    expect(fired('pnl_shadow')).toHaveLength(1);
    const g = t.sidecar.control.guardian;
    g.setPolicy({ rules: [LIVE, { ...SHADOW, shadow: false }], playbooks: {} });
    g.tick();
    const after = fired('pnl_shadow');
    expect(after.map((e) => e.data['shadow'])).toEqual([true, false]);
    expect(t.sidecar.control.incidents.repo.openForRule('pnl_shadow')).toBeDefined();
  });
});
