import fs from 'node:fs';
import path from 'node:path';
import { type TestSidecar, makeWorkspace, startTestSidecar } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';
import type { LookoutEvent } from '../../src/events/event';

/**
 * The backtest of the running rules over a recorded range reproduces what the live guardian did in it.
 * A scripted workload writes telemetry files through the real watcher; the real guardian ticks on its
 * own timer every 200 ms; an operator resolves an incident and flushes the guardrails through the API.
 * The script moves on when the live sidecar has reacted (never after a fixed time), so the test knows the
 * truth: every live decision. The backtest of that range must make each of them within one tick.
 */

const TICK = 200;

const RULES = [
  {
    name: 'drift_high',
    type: 'threshold',
    metric: 'drift_score',
    op: '>',
    value: 0.6,
    for: '1s',
    severity: 'warning',
    playbook: [{ do: 'notify' }],
  },
  {
    name: 'venue_slow',
    type: 'threshold',
    metric: 'venue_latency_ms',
    match: { venue: { re: '.+' } },
    op: '>',
    value: 150,
    playbook: [{ do: 'notify' }],
  },
  {
    name: 'corr_high',
    type: 'threshold',
    metric: 'symbol_correlation',
    aggregate: 'avg',
    op: '>',
    value: 0.6,
    shadow: true,
    playbook: [{ do: 'kill_switch' }],
  },
  { name: 'quiet', type: 'telemetry_stale', max_age: '1600ms', playbook: [{ do: 'notify' }] },
];

interface WorkloadState {
  drift: number;
  latencyB: number;
  corr: number;
  silent: boolean;
}

/** Writes the workload's snapshot file every 50 ms from `state` until stopped. */
function startWorkload(workspace: string, state: WorkloadState): { stop(): Promise<void> } {
  const file = path.join(workspace, 'telemetry', 'snapshot.json');
  let running = true;
  let n = 0;
  const loop = (async () => {
    while (running) {
      if (!state.silent) {
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(
          tmp,
          JSON.stringify({
            ts: new Date().toISOString(),
            metrics: { drift_score: state.drift, seq: n++ },
            samples: [
              { name: 'venue_latency_ms', labels: { venue: 'A' }, value: 40 },
              { name: 'venue_latency_ms', labels: { venue: 'B' }, value: state.latencyB },
              { name: 'symbol_correlation', labels: { symbol: 'X' }, value: state.corr },
              { name: 'symbol_correlation', labels: { symbol: 'Y' }, value: state.corr },
            ],
          })
        );
        fs.renameSync(tmp, file);
      }
      // Pacing the workload, not waiting for an outcome.
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

describe('a backtest of a recorded range reproduces the live guardian', () => {
  let t: TestSidecar;
  const ticks: number[] = [];
  const state: WorkloadState = { drift: 0.3, latencyB: 40, corr: 0.2, silent: false };
  let workload: { stop(): Promise<void> } | null = null;

  beforeAll(async () => {
    const workspace = makeWorkspace();
    // The workload is already reporting when the sidecar starts (its first scan reads the file).
    workload = startWorkload(workspace, state);
    t = await startTestSidecar({
      workspace,
      overrides: { guardian: { tick_ms: TICK, rules: RULES as never }, watch: { debounce_ms: 5 } },
    });
    // Observe (never change) the live ticks: their spacing bounds how far apart two grids can decide.
    const g = t.sidecar.control.guardian;
    const tick = g.tick.bind(g);
    g.tick = (now?: number) => {
      ticks.push(now ?? Date.now());
      return tick(now);
    };
  });
  afterAll(async () => {
    await workload?.stop();
    await t.stop();
  });

  /**
   * Waits until the live guardian has ticked `n` more times: a condition held that long after a live
   * decision has been seen by any other grid of the same tick too.
   */
  const liveTicks = async (n: number): Promise<void> => {
    const k = ticks.length;
    await waitFor(() => ticks.length >= k + n, 15_000);
  };

  const fired = (rule: string): LookoutEvent[] =>
    t.sidecar.ctx.events.query({ kinds: ['rule.fired'], subject: rule, limit: 100 });

  test('every live decision is made by the backtest within one tick (two for a rule with `for`)', async () => {
    const from = t.sidecar.ctx.startedAt.getTime();
    try {
      await waitFor(() => t.sidecar.ctx.telemetryRepo.latestValue('drift_score'));
      state.drift = 0.8;
      await waitFor(() => fired('drift_high').length === 1, 15_000);
      await liveTicks(2);
      // A person resolves the incident, then flushes the guardrails while drift is still high: the
      // rule fires again at once and, its incident resolved, opens a new one.
      const incident = t.sidecar.control.incidents.repo.openForRule('drift_high')!;
      expect(
        (await t.call('POST', `/api/v1/incidents/${incident.id}/resolve`, { as: 'operator', body: {} })).status
      ).toBe(200);
      const plan = await t.call('POST', '/api/v1/actions/flush_guardrails/plan', { as: 'operator', body: {} });
      const applied = await t.call('POST', '/api/v1/actions/flush_guardrails/apply', {
        as: 'operator',
        body: { plan_id: (plan.body as { plan_id: string }).plan_id, reason: 'backtest test flush' },
        headers: { 'idempotency-key': `flush-${Date.now()}` },
      });
      expect(applied.status).toBe(202);
      await waitFor(() => fired('drift_high').length === 2, 15_000);
      await liveTicks(2);
      state.drift = 0.3;
      state.latencyB = 200;
      await waitFor(() => fired('venue_slow').length === 1, 15_000);
      await liveTicks(2);
      state.latencyB = 40;
      state.corr = 0.9;
      await waitFor(() => fired('corr_high').length === 1, 15_000);
      await liveTicks(2);
      state.corr = 0.2;
      state.silent = true;
      await waitFor(() => fired('quiet').length === 1, 15_000);
      await liveTicks(2);
      state.silent = false;
      await waitFor(
        () => t.sidecar.ctx.events.query({ kinds: ['rule.recovered'], subject: 'quiet', limit: 1 }).length === 1,
        15_000
      );
    } finally {
      await workload!.stop();
      workload = null;
    }
    const to = Date.now();

    const window = ticks.filter((x) => x >= from && x <= to);
    const gaps = window.slice(1).map((x, i) => x - window[i]!);
    const lateness = Math.max(0, ...gaps) - TICK;
    // Both fire at the first tick of their own grid once the condition holds: one tick apart at most,
    // plus what the live timer ran late by (twice: its start and its fire may both be late). A rule with
    // `for` is quantized twice — when the condition starts and when it has held — and a live timer that
    // ran a millisecond early over the `for` span fires a tick later than a perfect grid: two ticks.
    const tolerance = TICK + 2 * lateness;
    const forTolerance = 2 * TICK + 2 * lateness;
    const withFor = new Set(RULES.filter((r) => 'for' in r).map((r) => r.name));
    const r = await t.call('POST', '/api/v1/backtests', {
      as: 'operator',
      body: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), tolerance_ms: forTolerance },
    });
    expect(r.status === 201 || r.status === 202).toBe(true);
    const id = (r.body as { id: string }).id;
    const result = await waitFor(async () => {
      const res = await t.call('GET', `/api/v1/backtests/${id}/result`, { as: 'viewer' });
      return res.status === 200 ? (res.body as Record<string, unknown>) : null;
    }, 30_000);

    const comparison = result['comparison'] as {
      summary: Record<string, number>;
      items: { rule: string; kind: string; delta_ms: number | null }[];
    };
    const live = t.sidecar.ctx.events
      .query({ kinds: ['rule.fired'], limit: 100 })
      .filter((e) => Date.parse(String(e.data['at'])) <= to);
    expect(live.map((e) => e.subject).sort()).toEqual(['corr_high', 'drift_high', 'drift_high', 'quiet', 'venue_slow']);
    if (comparison.items.some((i) => i.kind !== 'same'))
      console.log(
        JSON.stringify({
          ticks: window.map((x) => new Date(x).toISOString()),
          items: comparison.items,
          flushes: result['flushes_replayed'],
        })
      );
    expect(comparison.items.filter((i) => i.kind !== 'same')).toEqual([]);
    // A rule without `for` is matched within one tick.
    for (const i of comparison.items.filter((x) => !withFor.has(x.rule))) {
      expect({ rule: i.rule, within: Math.abs(i.delta_ms ?? Infinity) <= tolerance }).toEqual({
        rule: i.rule,
        within: true,
      });
    }
    expect(comparison.summary['same']).toBe(live.length);
    // The would-be incidents follow the resolution: drift_high opens two, like it did live.
    const incidents = (result['would'] as { incidents: { rule: string }[] }).incidents;
    expect(incidents.map((i) => i.rule).sort()).toEqual(['drift_high', 'drift_high', 'quiet', 'venue_slow']);
    expect(result['flushes_replayed']).toHaveLength(1);
    const shadow = (result['fires'] as { rule: string; shadow: boolean; steps: unknown[] }[]).find(
      (f) => f.rule === 'corr_high'
    );
    expect(shadow).toMatchObject({ shadow: true, steps: [{ do: 'kill_switch' }] });
  });
});
