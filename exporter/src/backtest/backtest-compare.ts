/** A decision the guardian really made (a recorded `rule.fired`). */
export interface RealFire {
  rule: string;
  at: string;
  at_ms: number;
  shadow: boolean;
  rule_version: string | null;
  incident_id: string | null;
}

/**
 * How a would-be fire relates to the real ones: `same` (within the tolerance), `earlier` / `later`
 * (the backtest fires that much before or after the real one, within the match window), `added` (no
 * real fire near it), `removed` (a real fire the backtest does not make).
 */
export const DIFF_KINDS = ['same', 'earlier', 'later', 'added', 'removed'] as const;
export type DiffKind = (typeof DIFF_KINDS)[number];

export interface DiffItem {
  rule: string;
  kind: DiffKind;
  backtest_at: string | null;
  real_at: string | null;
  /** Backtest minus real, ms (negative: the backtest fires earlier). */
  delta_ms: number | null;
  real_incident_id: string | null;
  shadow: boolean;
}

export interface Comparison {
  tolerance_ms: number;
  match_window_ms: number;
  items: DiffItem[];
  summary: Record<DiffKind, number>;
}

/**
 * Pairs each rule's would-be fires with its real ones in time order: two fires pair when they are
 * within the match window, and a fire pairs with its nearer neighbour rather than a farther one.
 */
export function compareFires(
  backtest: readonly { rule: string; at: string; at_ms: number; shadow: boolean }[],
  real: readonly RealFire[],
  rules: readonly string[],
  toleranceMs: number,
  windowMs: number
): Comparison {
  const items: DiffItem[] = [];
  for (const rule of rules) {
    const b = backtest.filter((f) => f.rule === rule).sort((x, y) => x.at_ms - y.at_ms);
    const r = real.filter((f) => f.rule === rule).sort((x, y) => x.at_ms - y.at_ms);
    let i = 0;
    let j = 0;
    const added = (f: (typeof b)[number]): void => {
      items.push({
        rule,
        kind: 'added',
        backtest_at: f.at,
        real_at: null,
        delta_ms: null,
        real_incident_id: null,
        shadow: f.shadow,
      });
    };
    const removed = (f: RealFire): void => {
      items.push({
        rule,
        kind: 'removed',
        backtest_at: null,
        real_at: f.at,
        delta_ms: null,
        real_incident_id: f.incident_id,
        shadow: f.shadow,
      });
    };
    while (i < b.length || j < r.length) {
      if (i >= b.length) removed(r[j++]!);
      else if (j >= r.length) added(b[i++]!);
      else {
        const bi = b[i]!;
        const rj = r[j]!;
        const d = bi.at_ms - rj.at_ms;
        if (Math.abs(d) > windowMs) {
          if (d < 0) added(b[i++]!);
          else removed(r[j++]!);
        } else if (i + 1 < b.length && Math.abs(b[i + 1]!.at_ms - rj.at_ms) < Math.abs(d)) {
          // The next would-be fire is nearer this real one: this one has no counterpart.
          added(b[i++]!);
        } else if (j + 1 < r.length && Math.abs(bi.at_ms - r[j + 1]!.at_ms) < Math.abs(d)) {
          removed(r[j++]!);
        } else {
          items.push({
            rule,
            kind: Math.abs(d) <= toleranceMs ? 'same' : d < 0 ? 'earlier' : 'later',
            backtest_at: bi.at,
            real_at: rj.at,
            delta_ms: d,
            real_incident_id: rj.incident_id,
            shadow: bi.shadow,
          });
          i++;
          j++;
        }
      }
    }
  }
  const at = (x: DiffItem): number => Date.parse(x.backtest_at ?? x.real_at!);
  items.sort((x, y) => at(x) - at(y) || x.rule.localeCompare(y.rule));
  const summary = Object.fromEntries(DIFF_KINDS.map((k) => [k, 0])) as Record<DiffKind, number>;
  for (const it of items) summary[it.kind]++;
  return { tolerance_ms: toleranceMs, match_window_ms: windowMs, items, summary };
}
