import { type Diagnostic, type DiagnosticSeverity, DIAGNOSTIC_SEVERITIES } from './diagnostic';

/** Pure computations behind GET /api/v1/diagnostics/analytics (docs/diagnostics.md explains each). */

const WEEK_MS = 7 * 24 * 3600 * 1000;

/**
 * The p-quantile (0..1) of ascending values by linear interpolation between the closest ranks
 * (numpy's default, R type 7): the median of an even count is the mean of the middle two.
 */
export function quantile(sortedAsc: readonly number[], p: number): number | null {
  const n = sortedAsc.length;
  if (!n) return null;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sortedAsc[lo]! + (h - lo) * (sortedAsc[hi]! - sortedAsc[lo]!);
}

export interface ResolutionStats {
  count: number;
  median_s: number | null;
  p90_s: number | null;
}

/** Seconds to the millisecond: interpolation must not answer 28439.999999999996 for 28440. */
const toMs = (v: number | null): number | null => (v === null ? null : Math.round(v * 1000) / 1000);

export function resolutionStats(seconds: readonly number[]): ResolutionStats {
  const sorted = [...seconds].sort((a, b) => a - b);
  return { count: sorted.length, median_s: toMs(quantile(sorted, 0.5)), p90_s: toMs(quantile(sorted, 0.9)) };
}

type ResolvedRow = Pick<Diagnostic, 'severity' | 'component' | 'created_at' | 'resolved_at'>;

export const secondsToResolve = (r: ResolvedRow): number =>
  (Date.parse(r.resolved_at!) - Date.parse(r.created_at)) / 1000;

export function resolutionBySeverity(rows: readonly ResolvedRow[]): Record<DiagnosticSeverity, ResolutionStats> {
  const out = {} as Record<DiagnosticSeverity, ResolutionStats>;
  for (const s of DIAGNOSTIC_SEVERITIES) {
    out[s] = resolutionStats(rows.filter((r) => r.severity === s).map(secondsToResolve));
  }
  return out;
}

/** Monday 00:00 UTC of the ISO week holding `t`. */
export function weekStart(t: Date): Date {
  const d = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()));
  const sinceMonday = (d.getUTCDay() + 6) % 7;
  return new Date(d.getTime() - sinceMonday * 24 * 3600 * 1000);
}

export interface WeekCount {
  week_start: string;
  opened: number;
  resolved: number;
}

/**
 * Opened and resolved counts per ISO week (Monday 00:00 UTC), for every week that overlaps
 * [since, until), empty weeks included, oldest first.
 */
export function weeklyTrend(
  openedAt: readonly string[],
  resolvedAt: readonly string[],
  since: Date,
  until: Date
): WeekCount[] {
  const first = weekStart(since).getTime();
  const last = weekStart(new Date(until.getTime() - 1)).getTime();
  const weeks: WeekCount[] = [];
  for (let t = first; t <= last; t += WEEK_MS)
    weeks.push({ week_start: new Date(t).toISOString(), opened: 0, resolved: 0 });
  const bucket = (iso: string): WeekCount | undefined => {
    const t = Date.parse(iso);
    if (t < since.getTime() || t >= until.getTime()) return undefined;
    return weeks[Math.floor((weekStart(new Date(t)).getTime() - first) / WEEK_MS)];
  };
  for (const iso of openedAt) {
    const w = bucket(iso);
    if (w) w.opened++;
  }
  for (const iso of resolvedAt) {
    const w = bucket(iso);
    if (w) w.resolved++;
  }
  return weeks;
}

export type EstimateBasis = 'severity+component' | 'severity' | 'all' | 'none';

export interface ResolutionEstimate {
  diagnostic_id: string;
  /** Which group of resolved diagnostics the numbers come from. */
  basis: EstimateBasis;
  sample_size: number;
  median_s: number | null;
  p90_s: number | null;
  /** created_at + median: when a diagnostic like this one is usually resolved. */
  expected_resolved_at: string | null;
  /** Seconds from now until expected_resolved_at; 0 once that time has passed. */
  remaining_s: number | null;
}

/**
 * Time to resolve, estimated from similar resolved diagnostics: those with the same severity and
 * component; when fewer than `minSample`, those with the same severity; when still fewer, all
 * resolved ones; with none at all, no estimate. The median is the estimate, p90 a pessimistic bound.
 */
export function estimateResolution(
  target: Pick<Diagnostic, 'id' | 'severity' | 'component' | 'created_at'>,
  resolved: readonly ResolvedRow[],
  minSample: number,
  now: Date,
  formatId: (n: number) => string
): ResolutionEstimate {
  const groups: [EstimateBasis, ResolvedRow[]][] = [];
  if (target.component !== null) {
    groups.push([
      'severity+component',
      resolved.filter((r) => r.severity === target.severity && r.component === target.component),
    ]);
  }
  groups.push(['severity', resolved.filter((r) => r.severity === target.severity)]);
  groups.push(['all', [...resolved]]);
  const chosen = groups.find(([, rows]) => rows.length >= minSample) ?? groups.find(([b]) => b === 'all')!;
  const [basis, rows] = chosen[1].length ? chosen : (['none', []] as [EstimateBasis, ResolvedRow[]]);
  const stats = resolutionStats(rows.map(secondsToResolve));
  const expected =
    stats.median_s === null ? null : new Date(Date.parse(target.created_at) + stats.median_s * 1000).toISOString();
  return {
    diagnostic_id: formatId(target.id),
    basis,
    sample_size: stats.count,
    median_s: stats.median_s,
    p90_s: stats.p90_s,
    expected_resolved_at: expected,
    remaining_s: expected === null ? null : Math.max(0, (Date.parse(expected) - now.getTime()) / 1000),
  };
}
