import { guardianRuleSchema, type GuardianRule } from '../src/guardian';

/** The backtest bench's telemetry and rules, shared by the bench and its RSS child. */
export const SIGNALS = 10;
export const DAY_S = 86_400;

/** Signal s at second k: slow waves, and a spike to 5 for a minute once in a while. */
export function valueAt(s: number, k: number): number {
  const spike = (k + s * 7919) % 40_000 < 60;
  return spike ? 5 : 0.5 + 0.3 * Math.sin((2 * Math.PI * k) / (3600 * (s + 1)));
}

/** n rules over 10 signals: a third catch the spikes (after a `for`), the rest judge and never fire. */
export function benchRules(n: number): GuardianRule[] {
  return Array.from({ length: n }, (_, i) => {
    const s = i % SIGNALS;
    const j = Math.floor(i / SIGNALS);
    const fires = j % 3 === 0;
    return guardianRuleSchema.parse({
      name: `bench_rule_${i}`,
      type: 'threshold',
      metric: `bench_signal_${s}`,
      op: fires ? '>' : j % 2 ? '<' : '>',
      value: fires ? 2 + j * 0.1 : j % 2 ? -1 - j : 10 + j,
      aggregate: j % 4 === 1 ? 'max' : 'any',
      for: fires ? `${(j % 5) * 5}s` : 0,
      playbook: fires ? [{ do: 'notify' }] : [],
    });
  });
}
