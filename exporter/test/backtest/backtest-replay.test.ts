import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { type TestSidecar, startTestSidecar, tempDir } from '../helpers/sidecar';
import { GuardrailsRepository } from '../../src/guardian';
import { backtestResultSchema, backtestRunSchema } from '../../src/backtest';

/**
 * The backtest judges exactly as the live guardian: a scripted quarter of an hour of telemetry is fed
 * to the real sidecar on a clock the test controls, the real guardian ticks once a second over it (its
 * decisions are the truth), and the backtest of the running rules over that range must make the same
 * decisions at the same ticks — and the same result every time.
 */

const SECONDS = 900;
const FLUSH_AT = 400;

const POLICY: {
  signals: Record<string, unknown>;
  guardian: { playbooks: Record<string, unknown[]>; rules: Record<string, unknown>[] };
} = {
  signals: {
    drift_score: {},
    venue_latency_ms: { labels: ['venue'] },
    symbol_correlation: { labels: ['symbol'] },
    pnl_drawdown: {},
    not_yet: { description: 'declared, never reported' },
  },
  guardian: {
    playbooks: { hold: [{ do: 'pause_scheduler' }, { do: 'notify' }] },
    rules: [
      {
        name: 'drift_high',
        type: 'threshold',
        metric: 'drift_score',
        op: '>',
        value: 0.6,
        for: '10s',
        playbook: [{ do: 'playbook', name: 'hold' }],
      },
      {
        name: 'latency_any',
        type: 'threshold',
        metric: 'venue_latency_ms',
        match: { venue: { re: '.+' } },
        aggregate: 'any',
        op: '>',
        value: 150,
        playbook: [{ do: 'notify' }],
      },
      {
        name: 'corr_avg',
        type: 'threshold',
        metric: 'symbol_correlation',
        aggregate: 'avg',
        op: '>',
        value: 0.6,
        for: '5s',
        shadow: true,
        playbook: [{ do: 'kill_switch' }],
      },
      {
        name: 'pnl_kill',
        type: 'threshold',
        metric: 'pnl_drawdown',
        op: '>',
        value: 1500,
        severity: 'critical',
        playbook: [{ do: 'pause_scheduler' }, { do: 'notify', message: 'drawdown' }],
      },
      { name: 'stale', type: 'telemetry_stale', max_age: '20s', playbook: [{ do: 'notify' }] },
      { name: 'missing_fail', type: 'threshold', metric: 'not_yet', op: '>', value: 1, no_data: 'fail' },
    ],
  },
};

/** The script: what the workload reports at second k (null: it says nothing that second). */
function snapshotAt(k: number): Record<string, unknown> | null {
  if (k >= 700 && k < 730) return null;
  const corr = k >= 600 && k < 700 ? 0.8 : 0.3;
  return {
    metrics: {
      drift_score: (k >= 100 && k < 200) || (k >= 500 && k < 520) ? 0.8 : 0.3,
      pnl_drawdown: k === 800 ? 2000 : 10,
    },
    samples: [
      { name: 'venue_latency_ms', labels: { venue: 'A' }, value: 50 },
      { name: 'venue_latency_ms', labels: { venue: 'B' }, value: k >= 300 && k < 305 ? 200 : 50 },
      { name: 'symbol_correlation', labels: { symbol: 'X' }, value: corr },
      { name: 'symbol_correlation', labels: { symbol: 'Y' }, value: corr },
    ],
  };
}

interface Fire {
  rule: string;
  at: string;
  shadow: boolean;
}

describe('backtest replay', () => {
  let t: TestSidecar;
  let clock = 0;
  const t0 = Math.floor((Date.now() - (SECONDS + 120) * 1000) / 1000) * 1000;
  const at = (k: number): string => new Date(t0 + k * 1000).toISOString();

  beforeAll(async () => {
    const dir = tempDir('bt-replay');
    const file = path.join(dir, 'policy.yml');
    fs.writeFileSync(file, YAML.stringify(POLICY));
    clock = t0;
    t = await startTestSidecar({
      now: () => clock,
      overrides: { policy: { file }, guardian: { enabled: false, tick_ms: 1000 } },
    });
    const { telemetry, events, telemetryRepo } = t.sidecar.ctx;
    const { guardian } = t.sidecar.control;
    for (let k = 0; k < SECONDS; k++) {
      clock = t0 + k * 1000;
      if (k === FLUSH_AT) {
        // flush_guardrails as its action records it: the latches cleared, then action.applied.
        new GuardrailsRepository(t.sidecar.ctx.db).flush();
        events.append({
          source: 'actions',
          kind: 'action.applied',
          ts: at(k),
          subject: 'flush',
          data: { action: 'flush_guardrails', status: 'applied' },
        });
      }
      const snap = snapshotAt(k);
      if (snap) expect(telemetry.ingest(snap, 'api')).toMatchObject({ ok: true });
      guardian.tick(clock);
    }
    expect(telemetryRepo.historyStart()).toBe(t0);
  });
  afterAll(async () => {
    await t.stop();
  });

  const liveFires = (): Fire[] =>
    t.sidecar.ctx.events
      .query({ kinds: ['rule.fired'], limit: 1000 })
      .map((e) => ({ rule: String(e.data['rule']), at: String(e.data['at']), shadow: e.data['shadow'] === true }))
      .sort((a, b) => a.at.localeCompare(b.at) || a.rule.localeCompare(b.rule));

  async function backtest(
    body: Record<string, unknown>
  ): Promise<{ run: Record<string, unknown>; result: Record<string, unknown> }> {
    const created = await t.call('POST', '/api/v1/backtests', { as: 'operator', body });
    expect(created.status).toBe(201);
    const run = created.body as Record<string, unknown>;
    expect(backtestRunSchema.strict().safeParse(run).error).toBeUndefined();
    const res = await t.call('GET', `/api/v1/backtests/${String(run['id'])}/result`, { as: 'viewer' });
    expect(res.status).toBe(200);
    expect(backtestResultSchema.strict().safeParse(res.body).error).toBeUndefined();
    return { run, result: res.body as Record<string, unknown> };
  }

  test('the live guardian made the decisions the script implies', () => {
    expect(liveFires()).toEqual([
      { rule: 'missing_fail', at: at(0), shadow: false },
      { rule: 'drift_high', at: at(110), shadow: false },
      { rule: 'latency_any', at: at(300), shadow: false },
      { rule: 'missing_fail', at: at(FLUSH_AT), shadow: false },
      { rule: 'drift_high', at: at(510), shadow: false },
      { rule: 'corr_avg', at: at(605), shadow: true },
      { rule: 'stale', at: at(719), shadow: false },
      { rule: 'pnl_kill', at: at(800), shadow: false },
    ]);
  });

  test('the backtest of the running rules over the range makes the same decisions at the same ticks', async () => {
    const { run, result } = await backtest({ from: at(0), to: at(SECONDS - 1) });
    expect(run).toMatchObject({ status: 'succeeded', rules_from: 'running', source: 'store', tick_ms: 1000 });
    const fires = (result['fires'] as Fire[]).map((f) => ({ rule: f.rule, at: f.at, shadow: f.shadow }));
    expect(fires).toEqual(liveFires());
    const comparison = result['comparison'] as {
      summary: Record<string, number>;
      items: { kind: string; delta_ms: number }[];
    };
    expect(comparison.summary).toEqual({ same: 8, earlier: 0, later: 0, added: 0, removed: 0 });
    expect(comparison.items.every((i) => i.delta_ms === 0)).toBe(true);
    expect(result['flushes_replayed']).toEqual([at(FLUSH_AT)]);
  });

  test('a would-be fire carries the inputs and thresholds that decided it, and what it would have done', async () => {
    const { result } = await backtest({ from: at(0), to: at(SECONDS - 1) });
    const fires = result['fires'] as Record<string, unknown>[];
    const latency = fires.find((f) => f['rule'] === 'latency_any')!;
    expect(latency['observed']).toMatchObject({
      metric: 'venue_latency_ms',
      aggregate: 'any',
      series: 2,
      meeting: 1,
      offending: [{ labels: { venue: 'B' }, value: 200 }],
    });
    expect(latency['thresholds']).toMatchObject({ op: '>', value: 150, for_ms: 0 });
    const drift = fires.filter((f) => f['rule'] === 'drift_high');
    expect(drift.map((f) => f['incident'])).toEqual([
      { key: 'drift_high#1', opened: true },
      // Not resolved in between: the second fire joins the incident the first opened, as it did live.
      { key: 'drift_high#1', opened: false },
    ]);
    expect(drift[0]!['steps']).toEqual([{ do: 'pause_scheduler' }, { do: 'notify' }]);
    const shadow = fires.find((f) => f['rule'] === 'corr_avg')!;
    expect(shadow).toMatchObject({ shadow: true, incident: null, steps: [{ do: 'kill_switch' }] });
    const summary = result['summary'] as Record<string, Record<string, number>>;
    // The shadow rule's kill is what promoting it would do; nothing live would have killed.
    expect(summary['would']).toMatchObject({ kills: 0, pauses: 3, notifications: 5 });
    expect(summary['shadow_would']).toMatchObject({ kills: 1 });
    const live = t.sidecar.control.incidents.repo.query({ limit: 100 }).filter((i) => i.rule !== 'action_verification');
    expect((result['would'] as { incidents: { rule: string }[] }).incidents.map((i) => i.rule).sort()).toEqual(
      live.map((i) => i.rule).sort()
    );
  });

  test('the same history and rules give the same result, twice', async () => {
    const a = await backtest({ from: at(0), to: at(SECONDS - 1) });
    const b = await backtest({ from: at(0), to: at(SECONDS - 1) });
    const strip = (r: Record<string, unknown>): Record<string, unknown> => ({ ...r, id: null });
    expect(strip(b.result)).toEqual(strip(a.result));
    expect(a.run['id']).not.toBe(b.run['id']);
  });

  test('a candidate with a changed threshold moves and removes decisions against what really happened', async () => {
    const candidate = structuredClone(POLICY);
    candidate.guardian.rules[0] = { ...candidate.guardian.rules[0]!, for: '20s' };
    candidate.guardian.rules[1] = { ...candidate.guardian.rules[1]!, value: 500 };
    const { run, result } = await backtest({ from: at(0), to: at(SECONDS - 1), policy: YAML.stringify(candidate) });
    expect(run['rules_from']).toBe('policy');
    const items = (result['comparison'] as { items: Record<string, unknown>[] }).items;
    expect(items.filter((i) => i['rule'] === 'drift_high')).toEqual([
      expect.objectContaining({ kind: 'later', backtest_at: at(120), real_at: at(110), delta_ms: 10_000 }),
      // Drift above 0.6 for 20 s after the flush never happens: the second fire is gone.
      expect.objectContaining({ kind: 'removed', backtest_at: null, real_at: at(510) }),
    ]);
    expect(items.filter((i) => i['rule'] === 'latency_any')).toEqual([
      expect.objectContaining({ kind: 'removed', real_at: at(300) }),
    ]);
  });

  test('a range without data says so, with each rule’s no-data verdict', async () => {
    const { result } = await backtest({
      from: new Date(t0 - 3_600_000).toISOString(),
      to: new Date(t0 - 1_800_000).toISOString(),
    });
    const data = result['data'] as { rows: number; message: string };
    expect(data.rows).toBe(0);
    expect(data.message).toContain('no telemetry in the range');
    expect(data.message).toContain(`the history starts at ${at(0)}`);
    const rules = result['rules'] as { name: string; no_data: { verdict: string; message: string } }[];
    expect(rules.find((r) => r.name === 'drift_high')!.no_data).toEqual({
      ticks: 1801,
      verdict: 'inconclusive',
      message: 'no data in the range for drift_score: no_data is inconclusive: the rule cannot fire on them',
    });
    expect(rules.find((r) => r.name === 'missing_fail')!.no_data.message).toContain(
      'the rule fails (and fires) on them'
    );
    // No snapshot at all: the workload counts as silent from the range's start, as it would live.
    expect((result['fires'] as Fire[]).map((f) => [f.rule, f.at])).toEqual([
      ['missing_fail', new Date(t0 - 3_600_000).toISOString()],
      ['stale', new Date(t0 - 3_600_000 + 20_000).toISOString()],
    ]);
    expect((result['summary'] as { no_data: boolean }).no_data).toBe(true);
  });
});
