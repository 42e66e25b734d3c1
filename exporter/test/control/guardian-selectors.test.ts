import { guardianRuleSchema, type GuardianRule } from '../../src/guardian';
import { type ControlHarness, startControlHarness } from './control-harness';
import { type TestSidecar, startTestSidecar } from '../helpers/sidecar';

const rule = (r: Record<string, unknown>): GuardianRule => guardianRuleSchema.parse(r);

const latency = (values: Record<string, number>): { samples: unknown[] } => ({
  samples: Object.entries(values).map(([venue, value]) => ({ name: 'venue_latency_ms', labels: { venue }, value })),
});

describe('guardian threshold rules over labeled series', () => {
  let t: TestSidecar;
  let now = Date.now();
  beforeEach(async () => {
    now = Date.now();
    t = await startTestSidecar({ now: () => now, overrides: { guardian: { enabled: false } } });
  });
  afterEach(async () => {
    await t.stop();
  });

  const judge = (r: GuardianRule): ReturnType<TestSidecar['sidecar']['control']['guardian']['evaluate']> =>
    t.sidecar.control.guardian.evaluate(r, now);

  it('select by label (equality, regex, negations) and aggregate as declared', () => {
    t.sidecar.ctx.telemetry.ingest(latency({ CME: 10, ICE: 180, EUREX: 40, LSE: 20 }), 'api');
    const base = { name: 'r', type: 'threshold', metric: 'venue_latency_ms', op: '>', value: 100 };
    expect(judge(rule({ ...base })).verdict).toBe('fail');
    expect(judge(rule({ ...base, match: { venue: 'CME' } })).verdict).toBe('pass');
    expect(judge(rule({ ...base, match: { venue: { re: 'I.E|EUREX' } } })).verdict).toBe('fail');
    expect(judge(rule({ ...base, match: { venue: { not: 'ICE' } } })).verdict).toBe('pass');
    expect(judge(rule({ ...base, match: { venue: { not_re: 'IC.*' } } })).verdict).toBe('pass');
    // Regexes are anchored: "C" matches no venue by itself.
    expect(judge(rule({ ...base, match: { venue: { re: 'C' } } })).verdict).toBe('inconclusive');
    expect(judge(rule({ ...base, aggregate: 'all' })).verdict).toBe('pass');
    expect(judge(rule({ ...base, aggregate: 'all', value: 5 })).verdict).toBe('fail');
    const avg = judge(rule({ ...base, aggregate: 'avg', value: 60 }));
    expect(avg).toMatchObject({ verdict: 'fail', observed: { value: 62.5, series: 4 } });
    expect(judge(rule({ ...base, aggregate: 'min', op: '<', value: 11 })).observed).toMatchObject({ value: 10 });
    expect(judge(rule({ ...base, aggregate: 'max' })).observed).toMatchObject({ value: 180 });
    expect(judge(rule({ ...base, aggregate: 'sum', value: 249 })).verdict).toBe('fail');
    // count: how many matched series are fresh (a venue that went silent).
    expect(judge(rule({ ...base, aggregate: 'count', op: '<', value: 4 })).verdict).toBe('pass');
    const any = judge(rule({ ...base }));
    expect(any.observed).toMatchObject({ meeting: 1, offending: [{ labels: { venue: 'ICE' }, value: 180 }] });
  });

  it('a series not received for stale_after is not judged; no fresh series at all is no data', () => {
    t.sidecar.ctx.telemetry.ingest(latency({ CME: 500 }), 'api');
    now += 30_000;
    t.sidecar.ctx.telemetry.ingest(latency({ ICE: 5 }), 'api');
    const r = rule({
      name: 'r',
      type: 'threshold',
      metric: 'venue_latency_ms',
      op: '>',
      value: 100,
      stale_after: '10s',
    });
    expect(judge(r)).toMatchObject({ verdict: 'pass', observed: { series: 1 } });
    now += 30_000;
    expect(judge(r)).toMatchObject({ verdict: 'inconclusive', no_data: true });
    expect(judge(rule({ ...r, name: 'n', no_data: 'fail' })).verdict).toBe('fail');
  });

  it('`for` counts from the first tick the condition held, and starts over when it breaks', () => {
    const g = t.sidecar.control.guardian;
    g.setRules([
      rule({ name: 'slow', type: 'threshold', metric: 'venue_latency_ms', op: '>', value: 100, for: '20s' }),
    ]);
    const tick = (): string => g.tick(now)[0]!.verdict;
    t.sidecar.ctx.telemetry.ingest(latency({ CME: 500 }), 'api');
    expect(tick()).toBe('pass');
    now += 10_000;
    t.sidecar.ctx.telemetry.ingest(latency({ CME: 400 }), 'api');
    expect(tick()).toBe('pass');
    now += 5_000;
    t.sidecar.ctx.telemetry.ingest(latency({ CME: 50 }), 'api');
    expect(tick()).toBe('pass');
    now += 5_000;
    t.sidecar.ctx.telemetry.ingest(latency({ CME: 500 }), 'api');
    expect(tick()).toBe('pass');
    now += 20_000;
    t.sidecar.ctx.telemetry.ingest(latency({ CME: 500 }), 'api');
    expect(tick()).toBe('fail');
    expect(t.sidecar.control.incidents.repo.openForRule('slow')).toBeDefined();
  });

  it('a reloaded policy keeps the `for` clock of a rule it did not change, and restarts a changed one', () => {
    const g = t.sidecar.control.guardian;
    const keep = rule({ name: 'keep', type: 'threshold', metric: 'venue_latency_ms', op: '>', value: 100, for: '20s' });
    const change = rule({
      name: 'change',
      type: 'threshold',
      metric: 'venue_latency_ms',
      op: '>',
      value: 100,
      for: '20s',
    });
    g.setRules([keep, change]);
    t.sidecar.ctx.telemetry.ingest(latency({ CME: 500 }), 'api');
    g.tick(now);
    now += 15_000;
    t.sidecar.ctx.telemetry.ingest(latency({ CME: 500 }), 'api');
    g.tick(now);
    g.setPolicy({ rules: [keep, rule({ ...change, value: 99 })], playbooks: {} });
    now += 10_000;
    t.sidecar.ctx.telemetry.ingest(latency({ CME: 500 }), 'api');
    expect(g.tick(now).map((r) => [r.rule, r.verdict])).toEqual([
      ['keep', 'fail'],
      ['change', 'pass'],
    ]);
  });
});

describe('telemetry_stale and named playbooks', () => {
  let h: ControlHarness | null = null;
  afterEach(async () => {
    await h?.stop();
    h = null;
  });

  it('when telemetry stops, the rule opens an incident and, configured to, engages the kill switch through a named playbook', async () => {
    h = await startControlHarness({
      overrides: {
        guardian: {
          enabled: false,
          playbooks: {
            telemetry_lost: [{ do: 'kill_switch' }, { do: 'playbook', name: 'tell' }],
            tell: [{ do: 'notify' }],
          },
          rules: [
            {
              name: 'telemetry_stale',
              type: 'telemetry_stale',
              max_age: '1m',
              severity: 'critical',
              runbook: 'docs/runbooks/lookout-telemetry-stale.md',
              playbook: [{ do: 'playbook', name: 'telemetry_lost' }],
            },
          ],
        },
      },
    });
    const g = h.t.sidecar.control.guardian;
    const newest = h.t.sidecar.ctx.telemetry.newestSnapshotMs()!;
    expect(g.tick(newest + 59_000)[0]!.verdict).toBe('pass');
    const [r] = g.tick(newest + 61_000);
    expect(r).toMatchObject({ verdict: 'fail', observed: { age_s: 61, max_age_s: 60 } });
    const incident = h.t.sidecar.control.incidents.repo.openForRule('telemetry_stale')!;
    expect(incident).toMatchObject({
      severity: 'critical',
      data: { runbook: 'docs/runbooks/lookout-telemetry-stale.md' },
    });
    const kill = h.t.sidecar.control.actions.repo.listActions({ action: 'kill', limit: 1 })[0]!;
    expect(kill.trigger).toBe('guardian');
    expect(h.t.sidecar.control.killSwitch.isEngaged()).toBe(true);
    const steps = h.t.sidecar.ctx.events
      .query({ kinds: ['playbook.step'], limit: 10 })
      .map((e) => (e.data['step'] as { do: string }).do)
      .reverse();
    expect(steps).toEqual(['kill_switch', 'notify', 'playbook', 'playbook']);
    expect(h.t.sidecar.ctx.events.query({ kinds: ['notify'], limit: 5 })).toHaveLength(1);
  });
});
