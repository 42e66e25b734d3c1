import { createDataFrame, type DataFrame, FieldType } from '@grafana/data';
import type { BacktestDiffKind, BacktestFire, BacktestResult, BacktestRuleView } from '../api';

/** The ranges the Backtest page offers, ending now. */
export const RANGE_PRESETS = [
  { label: '15 minutes', value: 15 * 60_000 },
  { label: '1 hour', value: 3_600_000 },
  { label: '6 hours', value: 6 * 3_600_000 },
  { label: '24 hours', value: 86_400_000 },
  { label: '7 days', value: 7 * 86_400_000 },
] as const;

/** A starting point for the one-rule editor. */
export const RULE_TEMPLATE = JSON.stringify(
  { name: 'drift_high', type: 'threshold', metric: 'drift_score', op: '>', value: 0.6, for: '1m' },
  null,
  2
);

/** `+10 s`, `−1.5 s`, `−2 min`: how far a would-be fire moved against the real one. */
export function formatDelta(ms: number | null): string {
  if (ms === null) {
    return '—';
  }
  const sign = ms > 0 ? '+' : ms < 0 ? '−' : '±';
  const a = Math.abs(ms);
  const text =
    a < 1000 ? `${a} ms` : a < 120_000 ? `${Math.round(a / 100) / 10} s` : `${Math.round(a / 6000) / 10} min`;
  return `${sign}${text}`;
}

/** What each comparison kind means, for people. */
export const DIFF_LABELS: Record<BacktestDiffKind, string> = {
  same: 'same',
  earlier: 'earlier',
  later: 'later',
  added: 'would add',
  removed: 'would not fire',
};

/** Badge colours of the comparison kinds (Grafana's named colours, resolved by the theme). */
export const DIFF_COLORS: Record<BacktestDiffKind, 'green' | 'blue' | 'orange' | 'red' | 'purple'> = {
  same: 'green',
  earlier: 'blue',
  later: 'orange',
  added: 'red',
  removed: 'purple',
};

/** The rule to chart first: the first that would fire, or that really fired, else the first. */
export function defaultRule(result: BacktestResult): string | undefined {
  return (
    result.fires[0]?.rule ??
    result.comparison.items[0]?.rule ??
    result.rules.find((r) => (result.chart[r.name]?.length ?? 0) > 0)?.name ??
    result.rules[0]?.name
  );
}

/**
 * The number a fire was decided on, when the rule observed one: a threshold rule's aggregate or unlabeled value, an
 * event-rate rule's count, a telemetry_stale rule's age in seconds.
 */
export function fireValue(fire: BacktestFire): number | null {
  for (const key of ['value', 'count', 'age_s']) {
    const v = fire.observed[key];
    if (typeof v === 'number' && Number.isFinite(v)) {
      return v;
    }
  }
  return null;
}

/** Where on the chart a marker at `t` goes: the charted signal nearest in time, else `fallback`. */
function signalNear(result: BacktestResult, rule: string, t: number, fallback: number | null): number | null {
  const pts = result.chart[rule] ?? [];
  let best: number | null = null;
  let bestD = Infinity;
  for (const p of pts) {
    const d = Math.abs(Date.parse(p.t) - t);
    if (d < bestD) {
      bestD = d;
      best = p.max;
    }
  }
  return best ?? fallback;
}

/** The threshold a rule is judged against, when it has one. */
export function thresholdOf(rule: BacktestRuleView | undefined): number | null {
  return rule && typeof rule.value === 'number' ? rule.value : null;
}

export interface ChartFrames {
  frames: DataFrame[];
  fires: number;
  real: number;
}

/**
 * The frames of one rule's chart: the signal that decided each tick (max and min per bucket) with the threshold,
 * the would-fire ticks as points, and the ticks it really fired at as points of another colour.
 */
export function chartFrames(result: BacktestResult, ruleName: string): ChartFrames {
  const rule = result.rules.find((r) => r.name === ruleName);
  const threshold = thresholdOf(rule);
  const pts = result.chart[ruleName] ?? [];
  const signal = createDataFrame({
    name: 'signal',
    fields: [
      { name: 'time', type: FieldType.time, values: pts.map((p) => Date.parse(p.t)) },
      {
        name: 'max',
        type: FieldType.number,
        values: pts.map((p) => p.max),
        config: { displayName: `${ruleName} (max)`, color: { mode: 'fixed', fixedColor: 'blue' } },
      },
      {
        name: 'min',
        type: FieldType.number,
        values: pts.map((p) => p.min),
        config: {
          displayName: `${ruleName} (min)`,
          color: { mode: 'fixed', fixedColor: 'super-light-blue' },
          custom: { lineStyle: { fill: 'dot' } },
        },
      },
      ...(threshold === null
        ? []
        : [
            {
              name: 'threshold',
              type: FieldType.number,
              values: pts.map(() => threshold),
              config: {
                displayName: `threshold ${rule?.op ?? ''} ${threshold}`,
                color: { mode: 'fixed', fixedColor: 'orange' },
                custom: { lineStyle: { fill: 'dash', dash: [10, 10] } },
              },
            },
          ]),
    ],
  });
  const points = (
    name: string,
    label: string,
    color: string,
    size: number,
    times: number[],
    values: Array<number | null>
  ) =>
    createDataFrame({
      name,
      fields: [
        { name: 'time', type: FieldType.time, values: times },
        {
          name,
          type: FieldType.number,
          values,
          config: {
            displayName: label,
            color: { mode: 'fixed', fixedColor: color },
            custom: { drawStyle: 'points', pointSize: size, showPoints: 'always' },
          },
        },
      ],
    });
  const fires = result.fires.filter((f) => f.rule === ruleName);
  const real = result.real.fires.filter((f) => f.rule === ruleName);
  const frames = [signal];
  // The real fires are drawn first and larger: a would-fire point at the same tick shows inside one.
  if (real.length) {
    frames.push(
      points(
        'really_fired',
        'really fired',
        'purple',
        15,
        real.map((f) => f.at_ms),
        real.map((f) => signalNear(result, ruleName, f.at_ms, threshold))
      )
    );
  }
  if (fires.length) {
    frames.push(
      points(
        'would_fire',
        'would fire',
        'red',
        8,
        fires.map((f) => f.at_ms),
        fires.map((f) => fireValue(f) ?? signalNear(result, ruleName, f.at_ms, threshold))
      )
    );
  }
  return { frames, fires: fires.length, real: real.length };
}

/** `kill_switch → notify`: the steps a would-be fire would have run. */
export function stepsText(fire: Pick<BacktestFire, 'steps'>): string {
  return (
    fire.steps.map((s) => (s['do'] === 'action' ? `action ${String(s['action'])}` : String(s['do']))).join(' → ') || '—'
  );
}

/** The request the page sends for its choices. */
export function backtestBody(choice: {
  mode: 'running' | 'policy' | 'rule';
  text: string;
  rangeMs: number;
  source: 'store' | 'prometheus';
  now?: number;
}): { body: Record<string, unknown> } | { problem: string } {
  const now = choice.now ?? Date.now();
  const body: Record<string, unknown> = {
    from: new Date(now - choice.rangeMs).toISOString(),
    to: new Date(now).toISOString(),
    source: choice.source,
  };
  if (choice.mode === 'policy') {
    body.policy = choice.text;
  } else if (choice.mode === 'rule') {
    try {
      const rule: unknown = JSON.parse(choice.text);
      if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
        return { problem: 'The rule must be a JSON object' };
      }
      body.rule = rule;
    } catch (e) {
      return { problem: `The rule is not valid JSON: ${(e as Error).message}` };
    }
  }
  return { body };
}
