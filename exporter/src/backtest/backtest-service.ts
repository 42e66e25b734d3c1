import type { Part, SidecarContext } from '../context';
import type { Counter, Gauge, Histogram } from '../metrics/metrics-registry';
import { SLOW_BUCKETS } from '../metrics/metrics-registry';
import { type GuardianRule, type Playbooks, guardianProblems, guardianRuleSchema } from '../guardian/guardian-config';
import { type GuardianPolicy, ruleVersion } from '../guardian/rule-evaluator';
import { countRuleEvents } from '../guardian/event-count';
import type { PolicyDocument } from '../policy/policy-document';
import { didYouMean } from '../policy/policy-validator';
import type { RunningPolicy } from '../policy/policy-service';
import type { PolicyValidation } from '../policy/policy-validator';
import type { SampleType } from '../telemetry';
import {
  BacktestBusyError,
  BacktestCancelledError,
  BacktestEndedError,
  BacktestNotFoundError,
  CandidateInvalidError,
  NoResultError,
  RangeTooLongError,
  UnknownSignalError,
} from './backtest-errors';
import { type Comparison, compareFires } from './backtest-compare';
import { type EngineOutput, runEngine } from './backtest-engine';
import {
  type BacktestRun,
  BacktestRepository,
  type BacktestSource,
  type BacktestStatus,
  type RuleSetKind,
} from './backtest-repository';
import { PrometheusHistory } from './prometheus-history';
import { RecordedHistory } from './recorded-history';
import { StoreHistory, type TelemetryHistory } from './telemetry-history';

/** Which rules: the running ones, a candidate policy (YAML or JSON text), or one edited rule. */
export type RuleSetRequest =
  { kind: 'running' } | { kind: 'policy'; content: string } | { kind: 'rule'; rule: Record<string, unknown> };

export interface BacktestRequest {
  rules: RuleSetRequest;
  /** Only these rules of the set. */
  only?: string[];
  from: number;
  /** Default: now (a later time is cut to now). */
  to?: number;
  source: BacktestSource;
  /** Default: guardian.tick_ms. */
  tick_ms?: number;
  /** Fires this close to a real one are the same (default one tick). */
  tolerance_ms?: number;
  /** Fires farther apart than this are not the same decision (default the larger of 5 minutes and 10 ticks). */
  match_window_ms?: number;
}

export interface BacktestDeps {
  /** The running policy (rules, playbooks, signals, version) and a dry-run validator. */
  policy: {
    current(): { running: RunningPolicy };
    validate(text: string): PolicyValidation;
  };
  /** The rules and playbooks the guardian runs now. */
  guardian: { policy(): GuardianPolicy };
}

/** A resolved rule set: what the engine evaluates and where each rule sits in the request. */
interface RuleSet {
  kind: RuleSetKind;
  version: string;
  rules: GuardianRule[];
  playbooks: Playbooks;
  signals: PolicyDocument['signals'];
  /** Path of each rule (by name) in what was sent, for problems. */
  paths: Map<string, string>;
}

interface ActiveRun {
  id: string;
  ticksTotal: number;
  ticksDone: number;
  cancel: boolean;
  /** Aborts a history request in flight when the run is cancelled. */
  abort: AbortController;
  done: Promise<void>;
}

/** A run as the API shows it: the stored row plus live progress. */
export type BacktestView = Omit<BacktestRun, 'seq'> & { progress: number };

const iso = (ms: number): string => new Date(ms).toISOString();

/** Why a verdict on no data means what it means, for people. */
function noDataConsequence(verdict: string): string {
  return verdict === 'fail' ? 'the rule fails (and fires) on them' : `${verdict}: the rule cannot fire on them`;
}

/**
 * Guardian backtests: one run at a time (a second is refused with 409, never queued: a run is heavy
 * and its result is wanted now, not after someone else's), evaluated by the live guardian's evaluator
 * over the sidecar's telemetry history or Prometheus, compared with what really happened, kept in the
 * store for later comparison. A cancelled run writes no result.
 */
export class BacktestService implements Part {
  readonly name = 'backtest';
  readonly repo: BacktestRepository;
  private readonly recorded: RecordedHistory;
  private active: ActiveRun | null = null;
  private readonly outcomes: Counter<'outcome'>;
  private readonly ticks: Counter;
  private readonly duration: Histogram;

  constructor(
    private readonly ctx: SidecarContext,
    private readonly deps: BacktestDeps
  ) {
    this.repo = new BacktestRepository(ctx.db);
    this.recorded = new RecordedHistory(ctx.db);
    this.outcomes = ctx.metrics.counter({
      name: 'lookout_backtest_runs_total',
      help: 'Backtest runs that ended, by outcome (succeeded, partial, failed, cancelled)',
      labelNames: ['outcome'] as const,
    });
    for (const outcome of ['succeeded', 'partial', 'failed', 'cancelled']) this.outcomes.inc({ outcome }, 0);
    this.ticks = ctx.metrics.counter({
      name: 'lookout_backtest_ticks_total',
      help: 'Guardian ticks replayed by backtests',
    });
    this.duration = ctx.metrics.histogram({
      name: 'lookout_backtest_duration_seconds',
      help: 'Time a backtest run took, from start to its end (any outcome)',
      buckets: SLOW_BUCKETS,
    });
    const running = (): number => (this.active ? 1 : 0);
    ctx.metrics.gauge({
      name: 'lookout_backtest_running',
      help: '1 while a backtest runs (one at a time), else 0',
      collect(this: Gauge) {
        this.set(running());
      },
    });
    ctx.status.section('backtest', () => ({
      running: this.active ? { id: this.active.id, progress: this.progressOf(this.active) } : null,
      prometheus: ctx.config.backtest.prometheus_url ?? null,
    }));
  }

  start(): void {
    const n = this.repo.failInterrupted();
    if (n) this.ctx.log.warn({ runs: n }, 'backtests interrupted by a restart were marked failed');
  }

  async stop(): Promise<void> {
    const a = this.active;
    if (!a) return;
    a.cancel = true;
    a.abort.abort();
    await a.done;
  }

  private progressOf(a: ActiveRun): number {
    return a.ticksTotal ? Math.min(1, a.ticksDone / a.ticksTotal) : 0;
  }

  view(run: BacktestRun): BacktestView {
    const { seq: _seq, ...rest } = run;
    const a = this.active && this.active.id === run.id ? this.active : null;
    return a
      ? { ...rest, ticks_done: a.ticksDone, progress: this.progressOf(a) }
      : { ...rest, progress: run.status === 'running' ? 0 : run.ticks_total ? run.ticks_done / run.ticks_total : 1 };
  }

  get(id: string): BacktestView {
    const run = this.repo.get(id);
    if (!run) throw new BacktestNotFoundError(`backtest ${id} not found`);
    return this.view(run);
  }

  list(q: { before?: number; status?: BacktestStatus; limit: number }): BacktestRun[] {
    return this.repo.list(q);
  }

  result(id: string): Record<string, unknown> {
    const run = this.repo.get(id);
    if (!run) throw new BacktestNotFoundError(`backtest ${id} not found`);
    const r = this.repo.result(id);
    if (!r) throw new NoResultError(id, run.status);
    return r;
  }

  /** Cancels a running backtest and waits until it has stopped (nothing of its result is written). */
  async cancel(id: string): Promise<BacktestView> {
    const run = this.repo.get(id);
    if (!run) throw new BacktestNotFoundError(`backtest ${id} not found`);
    const a = this.active;
    if (!a || a.id !== id) throw new BacktestEndedError(`backtest ${id} already ended (${run.status})`);
    a.cancel = true;
    a.abort.abort();
    await a.done;
    return this.get(id);
  }

  // ---- rule sets ------------------------------------------------------------------------------------

  private resolveRules(req: BacktestRequest): RuleSet {
    const running = this.deps.policy.current().running;
    const live = this.deps.guardian.policy();
    let set: RuleSet;
    switch (req.rules.kind) {
      case 'running':
        set = {
          kind: 'running',
          version: running.version,
          rules: live.rules,
          playbooks: live.playbooks,
          signals: running.document.signals,
          paths: new Map(live.rules.map((r, i) => [r.name, `guardian.rules.${i}`])),
        };
        break;
      case 'policy': {
        const v = this.deps.policy.validate(req.rules.content);
        if (!v.ok) throw new CandidateInvalidError('policy_invalid', v.problems);
        const doc = v.policy.document;
        set = {
          kind: 'policy',
          version: v.policy.version,
          rules: doc.guardian.rules,
          playbooks: doc.guardian.playbooks,
          signals: doc.signals,
          paths: new Map(doc.guardian.rules.map((r, i) => [r.name, `guardian.rules.${i}`])),
        };
        break;
      }
      case 'rule': {
        const parsed = guardianRuleSchema.safeParse(req.rules.rule);
        if (!parsed.success) {
          throw new CandidateInvalidError(
            'invalid_request',
            parsed.error.issues.map((i) => ({
              path: ['body', 'rule', ...i.path.map(String)].join('.'),
              message: i.message,
              code: i.code,
            }))
          );
        }
        const rule = parsed.data;
        const problems = guardianProblems([rule], live.playbooks).map((p) => ({
          path: ['body', 'rule', ...p.path.slice(2).map(String)].join('.'),
          message: p.message,
          code: 'custom',
        }));
        if (problems.length) throw new CandidateInvalidError('invalid_request', problems);
        set = {
          kind: 'rule',
          version: `rule:${ruleVersion(rule)}`,
          rules: [rule],
          playbooks: live.playbooks,
          signals: running.document.signals,
          paths: new Map([[rule.name, 'body.rule']]),
        };
        break;
      }
    }
    if (req.only?.length) {
      const names = new Set(set.rules.map((r) => r.name));
      const problems = req.only.flatMap((n, i) =>
        names.has(n)
          ? []
          : [
              {
                path: `body.only.${i}`,
                message: `no rule named ${n} in the ${set.kind === 'running' ? 'running policy' : set.kind}; rules: ${[...names].join(', ') || 'none'}`,
                code: 'unknown_rule',
              },
            ]
      );
      if (problems.length) throw new CandidateInvalidError('invalid_request', problems);
      const only = new Set(req.only);
      set = { ...set, rules: set.rules.filter((r) => only.has(r.name)) };
    }
    return set;
  }

  /** Rules reading a signal nobody declared and the sidecar never received are refused, with their paths. */
  private checkSignals(set: RuleSet): void {
    const known = new Set([...this.ctx.telemetry.store.families.keys(), ...this.ctx.telemetryRepo.historyNames()]);
    for (const name of Object.keys(set.signals ?? {})) known.add(name);
    for (const name of Object.keys(this.deps.policy.current().running.document.signals ?? {})) known.add(name);
    const problems = set.rules.flatMap((r) =>
      r.type === 'threshold' && !known.has(r.metric)
        ? [
            {
              path: `${set.paths.get(r.name)}.metric`,
              message: `unknown signal ${r.metric}: not declared under signals and never received by this sidecar${didYouMean(r.metric, known)}`,
              code: 'unknown_signal',
            },
          ]
        : []
    );
    if (problems.length) throw new UnknownSignalError(problems);
  }

  private signalType(name: string, set: RuleSet): SampleType {
    return (
      this.ctx.telemetry.family(name)?.type ??
      this.ctx.telemetryRepo.historySeriesOf([name])[0]?.type ??
      set.signals?.[name]?.type ??
      this.deps.policy.current().running.document.signals?.[name]?.type ??
      'gauge'
    );
  }

  // ---- runs -----------------------------------------------------------------------------------------

  /**
   * Validates and starts a run, then waits up to backtest.sync_wait_ms for it to end. Returns the run as
   * it is then; `finished` says whether it ended.
   */
  async create(req: BacktestRequest, actor: string): Promise<{ run: BacktestView; finished: boolean }> {
    const { id, done } = this.begin(req, actor);
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      done.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), this.ctx.config.backtest.sync_wait_ms);
      }),
    ]);
    clearTimeout(timer);
    return { run: this.get(id), finished };
  }

  /** Runs a backtest to its end whatever its length (a policy_apply plan waits for its evidence). */
  async runToEnd(
    req: BacktestRequest,
    actor: string
  ): Promise<{ run: BacktestView; result: Record<string, unknown> | null }> {
    const { id, done } = this.begin(req, actor);
    await done;
    return { run: this.get(id), result: this.repo.result(id) ?? null };
  }

  /** Validates a request and starts its run; `done` settles when the run has ended (any outcome). */
  private begin(req: BacktestRequest, actor: string): { id: string; done: Promise<void> } {
    const cfg = this.ctx.config.backtest;
    const tick = req.tick_ms ?? this.ctx.config.guardian.tick_ms;
    const from = req.from;
    const to = Math.min(req.to ?? Date.now(), Date.now());
    if (!(from < to)) {
      throw new CandidateInvalidError('invalid_request', [
        {
          path: req.to !== undefined && req.to <= Date.now() ? 'body.to' : 'body.from',
          message: `the range is empty: from ${iso(from)} is not before to ${iso(to)} (to is cut to now)`,
          code: 'invalid_range',
        },
      ]);
    }
    if (req.source === 'prometheus' && !cfg.prometheus_url) {
      throw new CandidateInvalidError('invalid_request', [
        {
          path: 'body.source',
          message: 'no Prometheus is configured (backtest.prometheus_url); use source "store"',
          code: 'invalid_value',
        },
      ]);
    }
    const ticksTotal = Math.floor((to - from) / tick) + 1;
    if (to - from > cfg.max_range || ticksTotal > cfg.max_ticks) {
      const days = (ms: number): string => `${Math.round((ms / 86_400_000) * 100) / 100} days`;
      throw new RangeTooLongError(
        to - from > cfg.max_range
          ? `the range is ${days(to - from)}; the limit is ${days(cfg.max_range)} (backtest.max_range)`
          : `the range is ${ticksTotal} ticks of ${tick} ms; the limit is ${cfg.max_ticks} ticks (backtest.max_ticks)`,
        { requested_ms: to - from, max_range_ms: cfg.max_range, ticks: ticksTotal, max_ticks: cfg.max_ticks }
      );
    }
    const set = this.resolveRules(req);
    this.checkSignals(set);
    const skipped = set.rules
      .filter((r) => r.type === 'heartbeat_staleness')
      .map((r) => ({
        rule: r.name,
        reason: 'agent heartbeat history is not kept: heartbeat_staleness rules are not backtested',
      }));
    const rules = set.rules.filter((r) => r.type !== 'heartbeat_staleness');
    if (!rules.length) {
      throw new CandidateInvalidError('invalid_request', [
        {
          path: req.rules.kind === 'rule' ? 'body.rule' : 'body.rules',
          message: set.rules.length
            ? 'no rule of the set can be backtested (heartbeat_staleness rules are not)'
            : 'the rule set is empty',
          code: 'no_rules',
        },
      ]);
    }
    if (this.active) throw new BacktestBusyError(this.active.id);
    const tolerance = req.tolerance_ms ?? tick;
    const matchWindow = req.match_window_ms ?? Math.max(300_000, 10 * tick);
    const run = this.repo.insert({
      id: this.ctx.events.newId(),
      status: 'running',
      actor,
      source: req.source,
      range_from: iso(from),
      range_to: iso(to),
      tick_ms: tick,
      rules_from: set.kind,
      policy_version: set.version,
      request: {
        rules: set.rules,
        playbooks: set.playbooks,
        only: req.only ?? null,
        tolerance_ms: tolerance,
        match_window_ms: matchWindow,
      },
      ticks_total: ticksTotal,
      ticks_done: 0,
      summary: null,
      error: null,
      created_at: new Date().toISOString(),
      finished_at: null,
    });
    const active: ActiveRun = {
      id: run.id,
      ticksTotal,
      ticksDone: 0,
      cancel: false,
      abort: new AbortController(),
      done: Promise.resolve(),
    };
    this.active = active;
    active.done = this.execute(run, set, rules, skipped, { from, to, tick, tolerance, matchWindow }, active).finally(
      () => {
        if (this.active === active) this.active = null;
      }
    );
    return { id: run.id, done: active.done };
  }

  private history(
    set: RuleSet,
    rules: GuardianRule[],
    source: BacktestSource,
    from: number,
    to: number,
    tick: number,
    signal: AbortSignal
  ): TelemetryHistory {
    const names = [...new Set(rules.flatMap((r) => (r.type === 'threshold' ? [r.metric] : [])))];
    const withSnapshots = rules.some((r) => r.type === 'telemetry_stale');
    if (source === 'prometheus') {
      const cfg = this.ctx.config.backtest;
      return new PrometheusHistory({
        url: cfg.prometheus_url!,
        node: this.ctx.config.node,
        signals: names.map((name) => ({ name, type: this.signalType(name, set) })),
        withSnapshots,
        from,
        to,
        stepMs: tick,
        chunkPoints: cfg.prometheus_chunk_points,
        timeoutMs: cfg.prometheus_timeout_ms,
        signal,
      });
    }
    // Series received up to stale_after before the range are still fresh at its first tick.
    const preload = Math.max(0, ...rules.map((r) => (r.type === 'threshold' ? r.stale_after : 0)));
    return new StoreHistory(this.ctx.telemetryRepo, names, withSnapshots, from - preload, to);
  }

  private async execute(
    run: BacktestRun,
    set: RuleSet,
    rules: GuardianRule[],
    skipped: { rule: string; reason: string }[],
    r: { from: number; to: number; tick: number; tolerance: number; matchWindow: number },
    active: ActiveRun
  ): Promise<void> {
    const started = Date.now();
    const end = (status: Exclude<BacktestStatus, 'running'>): void => {
      this.outcomes.inc({ outcome: status });
      this.ticks.inc(active.ticksDone);
      this.duration.observe((Date.now() - started) / 1000);
    };
    try {
      // Let the caller's request finish its own work first: a run never starts inside it.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const names = new Set(rules.map((x) => x.name));
      const db = this.ctx.db;
      const out = await runEngine(
        {
          rules,
          playbooks: set.playbooks,
          from: r.from,
          to: r.to,
          tickMs: r.tick,
          chartPoints: this.ctx.config.backtest.chart_points,
        },
        {
          history: this.history(set, rules, run.source, r.from, r.to, r.tick, active.abort.signal),
          flushes: this.recorded.flushes(r.from, r.to),
          resolutions: this.recorded.resolutions(r.from, r.to, names),
          starts: this.recorded.starts(r.from, r.to),
          countEvents: (rule, since, now) => countRuleEvents(db, rule, since, iso(now)),
        },
        {
          cancelled: () => active.cancel,
          progress: (n) => {
            active.ticksDone = n;
          },
        }
      );
      const realFires = this.recorded.fires(r.from, r.to, names, r.tick);
      const comparison = compareFires(out.fires, realFires, [...names], r.tolerance, r.matchWindow);
      const result = this.resultOf(run, rules, skipped, out, comparison, r, {
        fires: realFires,
        incidents: this.recorded.incidents(r.from, r.to, names),
        kills: this.recorded.kills(r.from, r.to),
      });
      const status = out.partial ? 'partial' : 'succeeded';
      this.repo.finish(run.id, {
        status,
        ticks_done: out.ticks,
        summary: result['summary'] as Record<string, unknown>,
        error: out.partial?.reason ?? null,
        result,
      });
      end(status);
      this.ctx.log.info(
        { id: run.id, status, ticks: out.ticks, fires: out.fires.length, ms: Date.now() - started },
        'backtest finished'
      );
    } catch (err) {
      if (err instanceof BacktestCancelledError) {
        this.repo.finish(run.id, {
          status: 'cancelled',
          ticks_done: active.ticksDone,
          summary: null,
          error: null,
          result: null,
        });
        end('cancelled');
        this.ctx.log.info({ id: run.id, ticks: active.ticksDone }, 'backtest cancelled');
      } else {
        this.repo.finish(run.id, {
          status: 'failed',
          ticks_done: active.ticksDone,
          summary: null,
          error: (err as Error).message,
          result: null,
        });
        end('failed');
        this.ctx.log.error({ err, id: run.id }, 'backtest failed');
      }
    } finally {
      this.prune();
    }
  }

  private prune(): void {
    try {
      const cfg = this.ctx.config.backtest;
      this.repo.prune(iso(Date.now() - cfg.retention), cfg.keep_runs);
    } catch (err) {
      this.ctx.log.warn({ err }, 'backtest retention failed');
    }
  }

  private resultOf(
    run: BacktestRun,
    rules: GuardianRule[],
    skipped: { rule: string; reason: string }[],
    out: EngineOutput,
    comparison: Comparison,
    r: { from: number; to: number; tick: number },
    real: { fires: unknown[]; incidents: unknown[]; kills: unknown[] }
  ): Record<string, unknown> {
    const stats = new Map(out.rules.map((s) => [s.rule, s]));
    const ruleViews = rules.map((rule) => {
      const st = stats.get(rule.name)!;
      let message: string | null = null;
      if (st.ticks > 0 && st.no_data_ticks === st.ticks) {
        message = `no data in the range${rule.type === 'threshold' ? ` for ${rule.metric}` : ''}: no_data is ${noDataConsequence(rule.no_data)}`;
      } else if (st.no_data_ticks > 0) {
        message = `no data on ${st.no_data_ticks} of ${st.ticks} ticks: no_data is ${noDataConsequence(rule.no_data)}`;
      }
      return {
        name: rule.name,
        type: rule.type,
        shadow: rule.shadow,
        severity: rule.severity,
        rule_version: ruleVersion(rule),
        ...(rule.type === 'threshold'
          ? { metric: rule.metric, op: rule.op, value: rule.value, aggregate: rule.aggregate }
          : {}),
        stats: st,
        no_data: { ticks: st.no_data_ticks, verdict: rule.no_data, message },
      };
    });
    const live = out.steps.filter((s) => !s.shadow);
    const shadow = out.steps.filter((s) => s.shadow);
    const count = (steps: typeof out.steps, what: string): number => steps.filter((s) => s.step.do === what).length;
    const historyStart = this.ctx.telemetryRepo.historyStart();
    // Event-rate rules read the event log, not telemetry: no telemetry is only news when a rule reads it.
    const readsTelemetry = rules.some((x) => x.type === 'threshold' || x.type === 'telemetry_stale');
    const dataMessage =
      readsTelemetry && out.data.rows === 0
        ? `no telemetry in the range from ${run.source === 'store' ? 'the sidecar’s history' : 'Prometheus'}` +
          (run.source === 'store'
            ? historyStart === null
              ? ' (the history is empty)'
              : ` (the history starts at ${iso(historyStart)}; telemetry.history_max_age_days keeps ${this.ctx.config.telemetry.history_max_age_days} days)`
            : '') +
          '; every rule saw no data and judged by its no_data setting'
        : null;
    const summary = {
      rules: rules.length,
      skipped: skipped.length,
      ticks: out.ticks,
      fires: out.fires.filter((f) => !f.shadow).length + out.fires_truncated,
      shadow_fires: out.fires.filter((f) => f.shadow).length,
      would: {
        incidents: out.incidents.length,
        kills: count(live, 'kill_switch'),
        pauses: count(live, 'pause_scheduler'),
        actions: count(live, 'action'),
        notifications: count(live, 'notify'),
      },
      shadow_would: {
        kills: count(shadow, 'kill_switch'),
        pauses: count(shadow, 'pause_scheduler'),
        actions: count(shadow, 'action'),
        notifications: count(shadow, 'notify'),
      },
      real: { fires: real.fires.length, incidents: real.incidents.length, kills: real.kills.length },
      comparison: comparison.summary,
      no_data: readsTelemetry && out.data.rows === 0,
      partial: out.partial !== null,
    };
    return {
      id: run.id,
      source: run.source,
      range: { from: iso(r.from), to: iso(r.to) },
      tick_ms: r.tick,
      rules_from: run.rules_from,
      policy_version: run.policy_version,
      summary,
      rules: ruleViews,
      skipped,
      fires: out.fires,
      fires_truncated: out.fires_truncated,
      would: {
        incidents: out.incidents,
        steps: out.steps,
        steps_truncated: out.steps_truncated,
      },
      real,
      comparison,
      chart: out.chart,
      flushes_replayed: out.flushes_replayed,
      data: { ...out.data, message: dataMessage },
      partial: out.partial,
    };
  }
}
