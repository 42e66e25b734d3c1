import { performance } from 'node:perf_hooks';
import type { GuardianRule, Playbooks } from '../guardian/guardian-config';
import {
  type EventRateRule,
  type FamilyView,
  type GuardianSource,
  type LatchView,
  type LeafStep,
  RuleEvaluator,
  type StaleAgent,
  type Transition,
  expandPlaybook,
  ruleVersion,
  runPlaybook,
  thresholdsOf,
} from '../guardian/rule-evaluator';
import { BacktestCancelledError, HistorySourceError } from './backtest-errors';
import { EMPTY_PAGE, type HistoryPage, type TelemetryHistory } from './telemetry-history';

/** What a backtest evaluates and over which ticks. */
export interface EngineSpec {
  rules: GuardianRule[];
  playbooks: Playbooks;
  /** First and last tick (epoch ms); ticks are from + k·tickMs up to to. */
  from: number;
  to: number;
  tickMs: number;
  /** Points of the charted signal per rule at most (min and max per bucket). */
  chartPoints: number;
}

/** The record of what really happened that a backtest replays, beside the telemetry. */
export interface ReplayInputs {
  history: TelemetryHistory;
  /** When flush_guardrails ran (epoch ms, sorted): latches are cleared as they were. */
  flushes: readonly number[];
  /** When a rule's incident was resolved (sorted): its would-be incident closes then too. */
  resolutions: readonly { t: number; rule: string }[];
  /** When the sidecar started (sorted); the one before the range first. */
  starts: readonly number[];
  /** Events an event-rate rule counts in [since, now]. */
  countEvents(rule: EventRateRule, since: string, now: number): number;
}

export interface EngineControl {
  cancelled(): boolean;
  progress(ticksDone: number): void;
}

/** One would-be decision: the tick, what decided it, and what it would have done. */
export interface BacktestFire {
  rule: string;
  at: string;
  at_ms: number;
  shadow: boolean;
  rule_version: string;
  severity: string;
  verdict: string;
  no_data: boolean;
  observed: Record<string, unknown>;
  thresholds: Record<string, unknown>;
  /** The would-be incident it opened or joined (null for a shadow rule). */
  incident: { key: string; opened: boolean } | null;
  /** The playbook steps it would have run (a shadow rule: would run once promoted). */
  steps: LeafStep[];
  /** Steps that would have failed (a missing playbook, nesting too deep). */
  step_errors: { step: Record<string, unknown>; error: string }[];
}

export interface WouldIncident {
  key: string;
  rule: string;
  severity: string;
  title: string | null;
  opened_at: string;
  /** When a recorded resolution of the rule's incident would have closed it, else null. */
  resolved_at: string | null;
  fires: number;
}

export interface WouldStep {
  at: string;
  rule: string;
  shadow: boolean;
  step: LeafStep;
  incident: string | null;
}

export interface RuleStats {
  rule: string;
  ticks: number;
  pass: number;
  fail: number;
  inconclusive: number;
  no_data_ticks: number;
  fires: number;
  recoveries: number;
}

export interface ChartPoint {
  t: string;
  min: number;
  max: number;
}

export interface EngineOutput {
  ticks_total: number;
  ticks: number;
  fires: BacktestFire[];
  fires_truncated: number;
  incidents: WouldIncident[];
  steps: WouldStep[];
  steps_truncated: number;
  rules: RuleStats[];
  chart: Record<string, ChartPoint[]>;
  flushes_replayed: string[];
  data: { rows: number; series: number };
  partial: { reason: string; evaluated_until: string | null } | null;
}

/** Most fires and steps a result lists; the rest are counted (a result stays a few MB at most). */
const MAX_FIRES = 10_000;
const MAX_STEPS = 20_000;
/** Time a slice of ticks may take before the run yields to the event loop. */
const SLICE_MS = 15;

interface MutableSeries {
  key: string;
  labels: Readonly<Record<string, string>>;
  value: number;
  tsMs: number;
}

interface MutableFamily extends FamilyView {
  version: number;
  readonly series: Map<string, MutableSeries>;
}

/** What the rules read at a tick of a backtest: the history applied up to the tick. */
class ReplayState implements GuardianSource {
  private readonly families = new Map<string, MutableFamily>();
  private readonly bySid = new Map<number, MutableSeries>();
  private newest: number | null;
  private startIdx = 0;
  now = 0;

  constructor(private readonly inputs: ReplayInputs) {
    this.newest = inputs.history.newestBefore;
  }

  apply(t: number, sid: number, value: number): void {
    if (sid === 0) {
      if (this.newest === null || value > this.newest) this.newest = value;
      return;
    }
    let s = this.bySid.get(sid);
    if (!s) {
      const meta = this.inputs.history.meta(sid);
      if (!meta) return;
      let fam = this.families.get(meta.name);
      if (!fam) {
        fam = { version: 0, series: new Map() };
        this.families.set(meta.name, fam);
      }
      s = { key: meta.key, labels: meta.labels, value, tsMs: t };
      fam.series.set(meta.key, s);
      fam.version++;
      this.bySid.set(sid, s);
    }
    s.value = value;
    s.tsMs = t;
  }

  family(name: string): FamilyView | undefined {
    return this.families.get(name);
  }

  newestSnapshotMs(): number | null {
    return this.newest;
  }

  startedAtMs(): number {
    const starts = this.inputs.starts;
    while (this.startIdx + 1 < starts.length && starts[this.startIdx + 1]! <= this.now) this.startIdx++;
    return starts[this.startIdx] ?? this.now;
  }

  countEvents(rule: EventRateRule, since: string, now: number): number {
    return this.inputs.countEvents(rule, since, now);
  }

  staleAgents(): readonly StaleAgent[] {
    // Agent heartbeat history is not kept: heartbeat_staleness rules are not backtested (docs/backtest.md).
    return [];
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Replays ticks from `from` to `to` at the guardian's tick through the live guardian's evaluator,
 * feeding it the history as it was at each tick, replaying recorded flushes and resolutions, and
 * recording (never running) what each firing rule would have done. Reads the history a page at a time
 * and yields to the event loop between slices, so a week of one-second telemetry runs in bounded memory
 * beside a live sidecar. Throws BacktestCancelledError when cancelled; a history source that stops
 * answering ends the run early with `partial` set.
 */
export async function runEngine(spec: EngineSpec, inputs: ReplayInputs, control: EngineControl): Promise<EngineOutput> {
  const { rules, playbooks, from, to, tickMs } = spec;
  const total = Math.floor((to - from) / tickMs) + 1;
  const evaluator = new RuleEvaluator({ rules, playbooks });
  const state = new ReplayState(inputs);
  const latched = new Set<string>();
  const latches: LatchView = { isLatched: (rule, shadow) => latched.has(`${shadow ? 's' : 'l'}:${rule}`) };
  const stats: RuleStats[] = rules.map((r) => ({
    rule: r.name,
    ticks: 0,
    pass: 0,
    fail: 0,
    inconclusive: 0,
    no_data_ticks: 0,
    fires: 0,
    recoveries: 0,
  }));
  const statsByName = new Map(stats.map((s) => [s.rule, s]));
  const buckets = Math.max(1, Math.min(spec.chartPoints, total));
  const mins = rules.map(() => new Float64Array(buckets).fill(NaN));
  const maxs = rules.map(() => new Float64Array(buckets).fill(NaN));
  const fires: BacktestFire[] = [];
  let firesTruncated = 0;
  const steps: WouldStep[] = [];
  let stepsTruncated = 0;
  const incidents: WouldIncident[] = [];
  const openIncident = new Map<string, WouldIncident>();
  const versions = new Map(rules.map((r) => [r.name, ruleVersion(r)]));
  const flushesReplayed: string[] = [];
  let flushIdx = 0;
  let resolveIdx = 0;
  let page: HistoryPage = EMPTY_PAGE;
  let rowIdx = 0;
  let historyDone = false;
  let partial: EngineOutput['partial'] = null;
  let evaluated = 0;

  const record = (step: LeafStep, at: number, rule: GuardianRule, incident: string | null): void => {
    if (steps.length >= MAX_STEPS) stepsTruncated++;
    else steps.push({ at: iso(at), rule: rule.name, shadow: rule.shadow, step, incident });
  };

  const onTransition = (t: Transition): void => {
    const st = statsByName.get(t.rule.name)!;
    if (t.kind === 'recover') {
      st.recoveries++;
      return;
    }
    const { rule, result } = t;
    const now = state.now;
    st.fires++;
    latched.add(`${rule.shadow ? 's' : 'l'}:${rule.name}`);
    let incident: BacktestFire['incident'] = null;
    let incidentKey: string | null = null;
    if (!rule.shadow) {
      let open = openIncident.get(rule.name);
      const opened = !open;
      if (!open) {
        open = {
          key: `${rule.name}#${incidents.filter((i) => i.rule === rule.name).length + 1}`,
          rule: rule.name,
          severity: rule.severity,
          title: rule.title ?? null,
          opened_at: iso(now),
          resolved_at: null,
          fires: 0,
        };
        incidents.push(open);
        openIncident.set(rule.name, open);
      }
      open.fires++;
      incident = { key: open.key, opened };
      incidentKey = open.key;
    }
    const fireSteps: LeafStep[] = [];
    const stepErrors: BacktestFire['step_errors'] = [];
    if (rule.shadow) {
      for (const s of expandPlaybook(rule.playbook, playbooks)) {
        fireSteps.push(s);
        record(s, now, rule, null);
      }
    } else {
      runPlaybook(rule.playbook, playbooks, {
        perform: (s) => {
          fireSteps.push(s);
          record(s, now, rule, incidentKey);
        },
        done: (s, err) => {
          if (err) stepErrors.push({ step: s as Record<string, unknown>, error: err.message });
        },
      });
    }
    if (fires.length >= MAX_FIRES) {
      firesTruncated++;
      return;
    }
    fires.push({
      rule: rule.name,
      at: iso(now),
      at_ms: now,
      shadow: rule.shadow,
      rule_version: versions.get(rule.name)!,
      severity: rule.severity,
      verdict: result.verdict,
      no_data: result.no_data,
      observed: result.observed,
      thresholds: thresholdsOf(rule),
      incident,
      steps: fireSteps,
      step_errors: stepErrors,
    });
  };

  let sliceStart = performance.now();
  for (let k = 0; k < total; k++) {
    const now = from + k * tickMs;
    // The history up to this tick: what the live guardian had received by then.
    for (;;) {
      if (rowIdx >= page.length) {
        if (historyDone || now <= inputs.history.covered()) break;
        try {
          page = await inputs.history.nextPage();
        } catch (err) {
          if (!(err instanceof HistorySourceError)) throw err;
          partial = { reason: err.message, evaluated_until: evaluated ? iso(from + (evaluated - 1) * tickMs) : null };
          break;
        }
        rowIdx = 0;
        if (!page.length) {
          historyDone = true;
          break;
        }
      }
      const t = page.t[rowIdx]!;
      if (t > now) break;
      state.apply(t, page.sid[rowIdx]!, page.value[rowIdx]!);
      rowIdx++;
    }
    if (partial) break;
    while (flushIdx < inputs.flushes.length && inputs.flushes[flushIdx]! <= now) {
      latched.clear();
      flushesReplayed.push(iso(inputs.flushes[flushIdx]!));
      flushIdx++;
    }
    while (resolveIdx < inputs.resolutions.length && inputs.resolutions[resolveIdx]!.t <= now) {
      const r = inputs.resolutions[resolveIdx]!;
      const open = openIncident.get(r.rule);
      if (open && Date.parse(open.opened_at) <= r.t) {
        open.resolved_at = iso(r.t);
        openIncident.delete(r.rule);
      }
      resolveIdx++;
    }
    state.now = now;
    const results = evaluator.tick(now, state, latches, onTransition);
    const bucket = Math.floor((k * buckets) / total);
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      const st = stats[i]!;
      st.ticks++;
      st[r.verdict]++;
      if (r.no_data) st.no_data_ticks++;
      const v = r.signal;
      if (v !== null && Number.isFinite(v)) {
        const lo = mins[i]!;
        const hi = maxs[i]!;
        if (!(v >= lo[bucket]!)) lo[bucket] = v;
        if (!(v <= hi[bucket]!)) hi[bucket] = v;
      }
    }
    evaluated++;
    if ((k & 255) === 255) {
      control.progress(evaluated);
      if (performance.now() - sliceStart > SLICE_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
      if (control.cancelled()) throw new BacktestCancelledError('cancelled');
    }
  }
  control.progress(evaluated);
  if (control.cancelled()) throw new BacktestCancelledError('cancelled');

  const chart: Record<string, ChartPoint[]> = {};
  rules.forEach((r, i) => {
    const pts: ChartPoint[] = [];
    for (let b = 0; b < buckets; b++) {
      const lo = mins[i]![b]!;
      if (Number.isNaN(lo)) continue;
      pts.push({ t: iso(from + Math.ceil((b * total) / buckets) * tickMs), min: lo, max: maxs[i]![b]! });
    }
    chart[r.name] = pts;
  });
  return {
    ticks_total: total,
    ticks: evaluated,
    fires,
    fires_truncated: firesTruncated,
    incidents,
    steps,
    steps_truncated: stepsTruncated,
    rules: stats,
    chart,
    flushes_replayed: flushesReplayed,
    data: inputs.history.stats(),
    partial,
  };
}
