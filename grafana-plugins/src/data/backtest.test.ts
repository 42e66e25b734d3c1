import { FieldType } from '@grafana/data';
import { makeBacktestResult } from '../test/fixtures';
import { backtestBody, chartFrames, defaultRule, formatDelta, stepsText } from './backtest';

describe('backtest data', () => {
  it('says how far a fire moved, in the unit a person reads', () => {
    expect(formatDelta(null)).toBe('—');
    expect(formatDelta(0)).toBe('±0 ms');
    expect(formatDelta(-250)).toBe('−250 ms');
    expect(formatDelta(10_000)).toBe('+10 s');
    expect(formatDelta(-1500)).toBe('−1.5 s');
    expect(formatDelta(600_000)).toBe('+10 min');
  });

  it("charts a rule's signal and threshold, its would-fire ticks at the value that decided them, and the real fires", () => {
    const result = makeBacktestResult('bt-1');
    const { frames, fires, real } = chartFrames(result, 'drift_high');
    expect([fires, real]).toEqual([2, 2]);
    const [signal, reallyFired, wouldFire] = frames;
    expect(signal!.fields.map((f) => [f.name, f.type])).toEqual([
      ['time', FieldType.time],
      ['max', FieldType.number],
      ['min', FieldType.number],
      ['threshold', FieldType.number],
    ]);
    expect(signal!.fields[3]!.values.every((v) => v === 0.6)).toBe(true);
    expect(wouldFire!.fields[0]!.values).toEqual(
      result.fires.filter((f) => f.rule === 'drift_high').map((f) => f.at_ms)
    );
    expect(wouldFire!.fields[1]!.values).toEqual([0.71, 0.75]);
    expect(wouldFire!.fields[1]!.config.custom).toMatchObject({ drawStyle: 'points' });
    // A real fire carries no value: it sits on the charted signal nearest in time.
    const at50 = result.chart['drift_high']!.find((p) => p.t === result.real.fires[1]!.at)!;
    expect(reallyFired!.fields[1]!.values[1]).toBe(at50.max);
  });

  it('charts the first rule that would fire, and says what a fire would run', () => {
    const result = makeBacktestResult('bt-1');
    expect(defaultRule(result)).toBe('drift_high');
    expect(stepsText(result.fires[1]!)).toBe('kill_switch');
    expect(stepsText({ steps: [{ do: 'action', action: 'retrain' }, { do: 'notify' }] })).toBe(
      'action retrain → notify'
    );
    expect(stepsText({ steps: [] })).toBe('—');
  });

  it('builds the request for the running rules, a candidate policy, or one rule, and refuses a rule that is not JSON', () => {
    const now = Date.parse('2026-11-21T12:00:00.000Z');
    expect(backtestBody({ mode: 'running', text: '', rangeMs: 3_600_000, source: 'store', now })).toEqual({
      body: { from: '2026-11-21T11:00:00.000Z', to: '2026-11-21T12:00:00.000Z', source: 'store' },
    });
    expect(
      backtestBody({ mode: 'policy', text: 'guardian: {}', rangeMs: 60_000, source: 'prometheus', now })
    ).toMatchObject({
      body: { policy: 'guardian: {}', source: 'prometheus' },
    });
    expect(backtestBody({ mode: 'rule', text: '{"name":"a"}', rangeMs: 60_000, source: 'store', now })).toMatchObject({
      body: { rule: { name: 'a' } },
    });
    expect(backtestBody({ mode: 'rule', text: '{"name":', rangeMs: 60_000, source: 'store', now })).toEqual({
      problem: expect.stringMatching(/^The rule is not valid JSON/),
    });
    expect(backtestBody({ mode: 'rule', text: '[1]', rangeMs: 60_000, source: 'store', now })).toEqual({
      problem: 'The rule must be a JSON object',
    });
  });
});
