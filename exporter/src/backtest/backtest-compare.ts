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

/** Above this many fires of one rule on either side, pairing falls back to a greedy walk (memory). */
const ALIGN_MAX_CELLS = 4_000_000;

/**
 * The best monotone pairing of two sorted lists of times: each pair costs its distance (at most the
 * window), each fire left unpaired costs the window. Returns, in order, [i, j] for a pair, [i, -1] for
 * a would-be fire without a real one, [-1, j] for a real fire without a would-be one.
 */
function align(b: readonly number[], r: readonly number[], windowMs: number): [number, number][] {
  const n = b.length;
  const m = r.length;
  if ((n + 1) * (m + 1) > ALIGN_MAX_CELLS) return greedy(b, r, windowMs);
  const w = m + 1;
  const cost = new Float64Array((n + 1) * w);
  const move = new Uint8Array((n + 1) * w); // 1 pair, 2 added, 3 removed
  for (let i = 0; i <= n; i++) {
    for (let j = 0; j <= m; j++) {
      if (i === 0 && j === 0) continue;
      let best = Infinity;
      let how = 0;
      if (i > 0 && j > 0) {
        const d = Math.abs(b[i - 1]! - r[j - 1]!);
        if (d <= windowMs && cost[(i - 1) * w + j - 1]! + d < best) [best, how] = [cost[(i - 1) * w + j - 1]! + d, 1];
      }
      if (i > 0 && cost[(i - 1) * w + j]! + windowMs < best) [best, how] = [cost[(i - 1) * w + j]! + windowMs, 2];
      if (j > 0 && cost[i * w + j - 1]! + windowMs < best) [best, how] = [cost[i * w + j - 1]! + windowMs, 3];
      cost[i * w + j] = best;
      move[i * w + j] = how;
    }
  }
  const out: [number, number][] = [];
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    const how = move[i * w + j];
    if (how === 1) out.push([--i, --j]);
    else if (how === 2) out.push([--i, -1]);
    else out.push([-1, --j]);
  }
  return out.reverse();
}

/** Pairing in one pass for very long lists: a fire pairs with the nearest one within the window. */
function greedy(b: readonly number[], r: readonly number[], windowMs: number): [number, number][] {
  const out: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < b.length || j < r.length) {
    if (i >= b.length) out.push([-1, j++]);
    else if (j >= r.length) out.push([i++, -1]);
    else {
      const d = b[i]! - r[j]!;
      if (Math.abs(d) > windowMs) out.push(d < 0 ? [i++, -1] : [-1, j++]);
      else if (i + 1 < b.length && Math.abs(b[i + 1]! - r[j]!) < Math.abs(d)) out.push([i++, -1]);
      else if (j + 1 < r.length && Math.abs(b[i]! - r[j + 1]!) < Math.abs(d)) out.push([-1, j++]);
      else out.push([i++, j++]);
    }
  }
  return out;
}

/**
 * Pairs each rule's would-be fires with its real ones: the pairing that leaves the fewest unpaired and,
 * among those, moves the least (fires farther apart than the match window never pair).
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
    for (const [i, j] of align(
      b.map((f) => f.at_ms),
      r.map((f) => f.at_ms),
      windowMs
    )) {
      const bi = i >= 0 ? b[i]! : null;
      const rj = j >= 0 ? r[j]! : null;
      const d = bi && rj ? bi.at_ms - rj.at_ms : null;
      items.push({
        rule,
        kind:
          d === null ? (bi ? 'added' : 'removed') : Math.abs(d) <= toleranceMs ? 'same' : d < 0 ? 'earlier' : 'later',
        backtest_at: bi?.at ?? null,
        real_at: rj?.at ?? null,
        delta_ms: d,
        real_incident_id: rj?.incident_id ?? null,
        shadow: (bi ?? rj)!.shadow,
      });
    }
  }
  const at = (x: DiffItem): number => Date.parse(x.backtest_at ?? x.real_at!);
  items.sort((x, y) => at(x) - at(y) || x.rule.localeCompare(y.rule));
  const summary = Object.fromEntries(DIFF_KINDS.map((k) => [k, 0])) as Record<DiffKind, number>;
  for (const it of items) summary[it.kind]++;
  return { tolerance_ms: toleranceMs, match_window_ms: windowMs, items, summary };
}
