import crypto from 'node:crypto';
import {
  type GuardianRule,
  type LabelMatcher,
  type PlaybookStep,
  type Playbooks,
  type ThresholdRule,
  compare,
} from './guardian-config';

/**
 * The guardian's judgement, free of side effects: rules in, verdicts and transitions out, fed by a
 * clock (`now`) and a data source. The live guardian feeds it the sidecar's current telemetry and acts
 * on what it decides; a backtest feeds it history tick by tick and records what it decides. Both run
 * this code, so a backtest judges exactly as the live guardian would (docs/backtest.md).
 */

export type Verdict = 'pass' | 'fail' | 'inconclusive';

export interface RuleResult {
  rule: string;
  verdict: Verdict;
  /** Why: what the rule saw (values, counts, stale agents) and `no_data` when it saw nothing. */
  observed: Record<string, unknown>;
  no_data: boolean;
  /**
   * The one number that decided the verdict (the aggregate, the extreme matched value, the event count,
   * the telemetry age in seconds, the stale agents), or null with no data: what a backtest charts.
   */
  signal: number | null;
}

/** One workload series as a rule reads it: labels, latest value and when it was received. */
export interface SeriesView {
  readonly key: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** When the value was received (the sidecar's clock), epoch ms: what `stale_after` is judged by. */
  readonly tsMs: number;
}

/** The series of one telemetry name; `version` changes whenever a series is added or removed. */
export interface FamilyView {
  readonly version: number;
  readonly series: ReadonlyMap<string, SeriesView>;
}

export interface StaleAgent {
  agent: string;
  age_s: number;
}

export type EventRateRule = Extract<GuardianRule, { type: 'event_rate' }>;

/** What the rules read at a tick: live, the sidecar's state now; in a backtest, history up to the tick. */
export interface GuardianSource {
  family(name: string): FamilyView | undefined;
  /** When the newest telemetry snapshot was received, or null before the first one. */
  newestSnapshotMs(): number | null;
  /** When the sidecar (as of the tick) started: uptime for event-rate rules, and telemetry age before any snapshot. */
  startedAtMs(): number;
  /** Events matching an event-rate rule since `since` (ISO), up to `now`. */
  countEvents(rule: EventRateRule, since: string, now: number): number;
  staleAgents(): readonly StaleAgent[];
}

/** Whether a rule's guardrail is latched (it fired and was not flushed since); shadow rules latch apart. */
export interface LatchView {
  isLatched(rule: string, shadow: boolean): boolean;
}

/** A rule that fires this tick (failing, not latched), or that stopped failing. */
export interface Transition {
  kind: 'fire' | 'recover';
  rule: GuardianRule;
  result: RuleResult;
}

/** The rules and named playbooks the guardian runs; swapped as one (a policy reload). */
export interface GuardianPolicy {
  rules: GuardianRule[];
  playbooks: Playbooks;
}

export const ruleVersion = (r: GuardianRule): string =>
  crypto.createHash('sha256').update(JSON.stringify(r)).digest('hex').slice(0, 12);

/** The thresholds a rule judges by: what a decision records next to what it observed. */
export function thresholdsOf(rule: GuardianRule): Record<string, unknown> {
  switch (rule.type) {
    case 'threshold':
      return {
        metric: rule.metric,
        ...(rule.match ? { match: rule.match } : {}),
        aggregate: rule.aggregate,
        op: rule.op,
        value: rule.value,
        for_ms: rule.for,
        stale_after_ms: rule.stale_after,
        no_data: rule.no_data,
      };
    case 'event_rate':
      return {
        window_ms: rule.window,
        ...(rule.kind ? { kind: rule.kind } : {}),
        ...(rule.source ? { source: rule.source } : {}),
        ...(rule.min_severity ? { min_severity: rule.min_severity } : {}),
        op: rule.op,
        value: rule.value,
        no_data: rule.no_data,
      };
    case 'heartbeat_staleness':
      return { max_age_ms: rule.max_age, ...(rule.agents ? { agents: rule.agents } : {}) };
    case 'telemetry_stale':
      return { max_age_ms: rule.max_age };
  }
}

/** Nested playbook references deeper than this are refused at run time (validation forbids cycles). */
export const MAX_PLAYBOOK_DEPTH = 8;
/** Series named in a rule's `observed` (the offending ones first). */
const OBSERVED_SERIES_MAX = 10;

export type LeafStep = Exclude<PlaybookStep, { do: 'playbook' }>;

/** Where a playbook's steps go: the live guardian performs them, a backtest or a shadow rule records them. */
export interface StepSink {
  /** Performs (or records) one step; throws to report that it failed. */
  perform(step: LeafStep): void;
  /** Called for every step, nested playbook references included, once it ran (error null) or failed. */
  done(step: PlaybookStep, error: Error | null): void;
}

/**
 * Runs a rule's playbook through a sink, expanding named playbooks (depth-bounded). A failing step is
 * reported and the next one still runs.
 */
export function runPlaybook(steps: readonly PlaybookStep[], playbooks: Playbooks, sink: StepSink, depth = 0): void {
  for (const step of steps) {
    try {
      if (step.do === 'playbook') {
        // Validation refuses cycles; the depth bound keeps a bug from becoming a stack overflow.
        if (depth >= MAX_PLAYBOOK_DEPTH) throw new Error(`playbooks nested deeper than ${MAX_PLAYBOOK_DEPTH}`);
        const inner = playbooks[step.name];
        if (!inner) throw new Error(`no playbook named ${step.name}`);
        runPlaybook(inner, playbooks, sink, depth + 1);
      } else sink.perform(step);
      sink.done(step, null);
    } catch (err) {
      sink.done(step, err instanceof Error ? err : new Error(String(err)));
    }
  }
}

/** The steps a playbook would perform, nested playbooks expanded (shadow rules and backtests show these). */
export function expandPlaybook(steps: readonly PlaybookStep[], playbooks: Playbooks): LeafStep[] {
  const out: LeafStep[] = [];
  runPlaybook(steps, playbooks, { perform: (s) => void out.push(s), done: () => undefined });
  return out;
}

type SeriesTest = (labels: Readonly<Record<string, string>>) => boolean;

/** A label selector compiled once: every matcher must hold. */
function compileMatchers(match: Record<string, LabelMatcher> | undefined): SeriesTest {
  const tests: SeriesTest[] = [];
  for (const [label, m] of Object.entries(match ?? {})) {
    if (typeof m === 'string') tests.push((l) => (l[label] ?? '') === m);
    else if ('not' in m) tests.push((l) => (l[label] ?? '') !== m.not);
    else {
      const re = new RegExp(`^(?:${'re' in m ? m.re : m.not_re})$`);
      const negate = 'not_re' in m;
      tests.push((l) => re.test(l[label] ?? '') !== negate);
    }
  }
  return (l) => tests.every((t) => t(l));
}

interface RuleState {
  version: string;
  /** Tick time the condition was first seen true, unbroken since (the `for` clock). */
  pendingSince: number | null;
}

interface Selection {
  family: FamilyView;
  version: number;
  series: SeriesView[];
}

const view = (s: SeriesView): Record<string, unknown> => ({ labels: s.labels, value: s.value });

/**
 * Judges every rule at a tick. Per rule it keeps the `for` clock and the last verdict; a failing rule
 * whose guardrail is not latched fires, a rule that stops failing recovers. Latches, incidents and
 * playbooks are the caller's: it is told through `onTransition` right after each rule is judged.
 */
export class RuleEvaluator {
  private rules: GuardianRule[];
  private playbooks: Playbooks;
  private readonly last = new Map<string, Verdict>();
  private readonly state = new Map<string, RuleState>();
  private readonly matchers = new Map<string, SeriesTest>();
  /** Matched series per (name, selector), kept until the family gains or loses a series. */
  private readonly selections = new Map<string, Selection>();

  constructor(policy: GuardianPolicy) {
    this.rules = policy.rules;
    this.playbooks = policy.playbooks;
  }

  /**
   * Replaces rules and playbooks in one step (a policy reload). A rule whose definition did not change
   * keeps its `for` clock and last verdict; a changed or removed one starts over.
   */
  setPolicy(policy: GuardianPolicy): void {
    const versions = new Map(policy.rules.map((r) => [r.name, ruleVersion(r)]));
    for (const [name, st] of this.state) if (versions.get(name) !== st.version) this.state.delete(name);
    for (const name of [...this.last.keys()]) if (!versions.has(name)) this.last.delete(name);
    this.matchers.clear();
    this.selections.clear();
    this.rules = policy.rules;
    this.playbooks = policy.playbooks;
  }

  policy(): GuardianPolicy {
    return { rules: this.rules, playbooks: this.playbooks };
  }

  /** One evaluation of every rule at `now`; `onTransition` hears each fire and recovery as it is decided. */
  tick(now: number, source: GuardianSource, latches: LatchView, onTransition?: (t: Transition) => void): RuleResult[] {
    const cache = new Map<string, number>();
    const results: RuleResult[] = [];
    let stale: readonly StaleAgent[] | null = null;
    for (const rule of this.rules) {
      let r: RuleResult;
      try {
        if (rule.type === 'heartbeat_staleness') stale ??= source.staleAgents();
        r = this.evaluate(rule, now, source, cache, stale ?? []);
      } catch (err) {
        r = {
          rule: rule.name,
          verdict: 'inconclusive',
          observed: { error: (err as Error).message },
          no_data: false,
          signal: null,
        };
      }
      results.push(r);
      const prev = this.last.get(rule.name);
      this.last.set(rule.name, r.verdict);
      if (r.verdict === 'fail') {
        if (!latches.isLatched(rule.name, rule.shadow)) onTransition?.({ kind: 'fire', rule, result: r });
      } else if (prev === 'fail') onTransition?.({ kind: 'recover', rule, result: r });
    }
    return results;
  }

  private noData(rule: GuardianRule, observed: Record<string, unknown>): RuleResult {
    return {
      rule: rule.name,
      verdict: rule.no_data,
      observed: { ...observed, no_data: true },
      no_data: true,
      signal: null,
    };
  }

  /** The series of a threshold rule's name that its selector matches (fresh or not). */
  private select(rule: ThresholdRule, source: GuardianSource): Selection | null {
    const family = source.family(rule.metric);
    if (!family) return null;
    const key = rule.match ? `${rule.metric}\u0000${JSON.stringify(rule.match)}` : rule.metric;
    const hit = this.selections.get(key);
    if (hit && hit.family === family && hit.version === family.version) return hit;
    let test: SeriesTest | undefined;
    if (rule.match && Object.keys(rule.match).length > 0) {
      test = this.matchers.get(key);
      if (!test) {
        test = compileMatchers(rule.match);
        this.matchers.set(key, test);
      }
    }
    const series: SeriesView[] = [];
    for (const s of family.series.values()) if (!test || test(s.labels)) series.push(s);
    const sel = { family, version: family.version, series };
    this.selections.set(key, sel);
    return sel;
  }

  /** Whether a threshold rule's condition holds now, and what it saw; null when it saw nothing fresh. */
  private judgeThreshold(
    rule: ThresholdRule,
    now: number,
    source: GuardianSource
  ): { holds: boolean; observed: Record<string, unknown>; signal: number } | null | 'no_family' {
    const sel = this.select(rule, source);
    if (!sel) return 'no_family';
    const cutoff = now - rule.stale_after;
    const base = { metric: rule.metric, aggregate: rule.aggregate, ...(rule.match ? { match: rule.match } : {}) };
    const agg = rule.aggregate;
    if (agg === 'count') {
      let n = 0;
      for (const s of sel.series) if (s.tsMs >= cutoff) n++;
      return { holds: compare(n, rule.op, rule.value), observed: { ...base, value: n, series: n }, signal: n };
    }
    if (agg === 'any' || agg === 'all') {
      // The most offending value is charted: the highest for > and >=, the lowest for < and <=.
      const low = rule.op === '<' || rule.op === '<=';
      let fresh = 0;
      let meeting = 0;
      let extreme = low ? Infinity : -Infinity;
      let first: SeriesView | null = null;
      let firstMeets = false;
      // Lists of series for `observed` are built only when there is more than one unlabeled value to show.
      let offending: SeriesView[] | null = null;
      let sample: SeriesView[] | null = null;
      const keep = (s: SeriesView, meets: boolean): void => {
        if (meets && offending!.length < OBSERVED_SERIES_MAX) offending!.push(s);
        if (sample!.length < OBSERVED_SERIES_MAX) sample!.push(s);
      };
      for (const s of sel.series) {
        if (s.tsMs < cutoff) continue;
        fresh++;
        if (low ? s.value < extreme : s.value > extreme) extreme = s.value;
        const meets = compare(s.value, rule.op, rule.value);
        if (meets) meeting++;
        if (fresh === 1) {
          first = s;
          firstMeets = meets;
          continue;
        }
        if (fresh === 2) {
          offending = [];
          sample = [];
          keep(first!, firstMeets);
        }
        keep(s, meets);
      }
      if (!fresh) return null;
      const only = first!;
      if (fresh === 1 && only.key !== '') {
        offending = firstMeets ? [only] : [];
        sample = [only];
      }
      const holds = agg === 'any' ? meeting > 0 : meeting === fresh;
      const unlabeled = fresh === 1 && only.key === '';
      return {
        holds,
        observed: {
          ...base,
          ...(unlabeled ? { value: only.value } : {}),
          series: fresh,
          meeting,
          ...(unlabeled
            ? {}
            : meeting
              ? { offending: (offending ?? []).map(view) }
              : { sample: (sample ?? []).map(view) }),
        },
        signal: extreme,
      };
    }
    let n = 0;
    let v = agg === 'min' ? Infinity : agg === 'max' ? -Infinity : 0;
    for (const s of sel.series) {
      if (s.tsMs < cutoff) continue;
      n++;
      if (agg === 'min') v = Math.min(v, s.value);
      else if (agg === 'max') v = Math.max(v, s.value);
      else v += s.value;
    }
    if (!n) return null;
    if (agg === 'avg') v /= n;
    return { holds: compare(v, rule.op, rule.value), observed: { ...base, value: v, series: n }, signal: v };
  }

  evaluate(
    rule: GuardianRule,
    now: number,
    source: GuardianSource,
    cache = new Map<string, number>(),
    stale: readonly StaleAgent[] = []
  ): RuleResult {
    switch (rule.type) {
      case 'threshold': {
        const judged = this.judgeThreshold(rule, now, source);
        if (judged === null || judged === 'no_family') {
          this.pending(rule, null);
          return this.noData(rule, {
            metric: rule.metric,
            ...(rule.match ? { match: rule.match } : {}),
            reason: judged === null ? 'no fresh series' : 'no series of this name',
          });
        }
        if (!judged.holds) {
          this.pending(rule, null);
          return { rule: rule.name, verdict: 'pass', observed: judged.observed, no_data: false, signal: judged.signal };
        }
        const since = this.pending(rule, now);
        const held = now - since;
        return {
          rule: rule.name,
          verdict: held >= rule.for ? 'fail' : 'pass',
          observed: { ...judged.observed, held_ms: held, for_ms: rule.for },
          no_data: false,
          signal: judged.signal,
        };
      }
      case 'event_rate': {
        const uptime = now - source.startedAtMs();
        // Rounded to the second so rules over the same window share one count per tick.
        const since = new Date(Math.floor((now - rule.window) / 1000) * 1000).toISOString();
        const key = JSON.stringify([since, rule.source ?? null, rule.kind ?? null, rule.min_severity ?? null]);
        let n = cache.get(key);
        if (n === undefined) {
          n = source.countEvents(rule, since, now);
          cache.set(key, n);
        }
        if (n === 0 && uptime < rule.window)
          return this.noData(rule, { count: 0, window_ms: rule.window, uptime_ms: uptime });
        return {
          rule: rule.name,
          verdict: compare(n, rule.op, rule.value) ? 'fail' : 'pass',
          observed: { count: n, window_ms: rule.window },
          no_data: false,
          signal: n,
        };
      }
      case 'telemetry_stale': {
        const newest = source.newestSnapshotMs();
        // Before the first snapshot, the workload has been silent since the sidecar started.
        const from = newest ?? source.startedAtMs();
        const age = Math.max(0, now - from);
        return {
          rule: rule.name,
          verdict: age >= rule.max_age ? 'fail' : 'pass',
          observed: {
            age_s: Math.round(age / 100) / 10,
            max_age_s: rule.max_age / 1000,
            newest_snapshot: newest === null ? null : new Date(newest).toISOString(),
          },
          no_data: false,
          signal: age / 1000,
        };
      }
      case 'heartbeat_staleness': {
        const bad = stale.filter(
          (a) => a.age_s * 1000 >= rule.max_age && (!rule.agents || rule.agents.includes(a.agent))
        );
        return {
          rule: rule.name,
          verdict: bad.length ? 'fail' : 'pass',
          observed: { stale: bad, max_age_ms: rule.max_age },
          no_data: false,
          signal: bad.length,
        };
      }
    }
  }

  /** The `for` clock of a rule: started at `now` when the condition begins to hold, cleared by null. */
  private pending(rule: GuardianRule, now: number | null): number {
    let st = this.state.get(rule.name);
    if (!st) {
      st = { version: ruleVersion(rule), pendingSince: null };
      this.state.set(rule.name, st);
    }
    if (now === null) st.pendingSince = null;
    else st.pendingSince ??= now;
    return st.pendingSince ?? 0;
  }
}
