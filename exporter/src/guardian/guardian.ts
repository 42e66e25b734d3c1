import crypto from 'node:crypto';
import type { Part, SidecarContext } from '../context';
import type { Counter } from '../metrics/metrics-registry';
import { severityRank, type Severity } from '../events/event';
import {
  type GuardianRule,
  type LabelMatcher,
  type PlaybookStep,
  type Playbooks,
  type ThresholdRule,
  compare,
} from './guardian-config';
import type { SeriesState, WorkloadFamily } from '../telemetry';
import type { IncidentService } from './incident-service';
import type { GuardrailsRepository } from './guardrails-repository';
import type { KillSwitch } from './kill-switch';
import { prepareCached } from '../store/database';
import { logPartFailure } from '../store/store-health';

/** Where heartbeat staleness comes from (the agent registry); the default knows no agents. */
export interface StalenessProvider {
  staleAgents(): { agent: string; age_s: number }[];
}
export const NO_AGENTS: StalenessProvider = { staleAgents: () => [] };

export type Verdict = 'pass' | 'fail' | 'inconclusive';

export interface RuleResult {
  rule: string;
  verdict: Verdict;
  /** Why: what the rule saw (values, counts, stale agents) and `no_data` when it saw nothing. */
  observed: Record<string, unknown>;
  no_data: boolean;
}

/** What a playbook can do; the composition root wires these to the kill switch, scheduler and actions. */
export interface PlaybookHandlers {
  engageKillSwitch(reason: string, incidentId: string): void;
  pauseScheduler(reason: string, incidentId: string): void;
  runAction(action: string, params: Record<string, unknown>, reason: string, incidentId: string): void;
}

export interface GuardianDeps {
  killSwitch: KillSwitch;
  incidents: IncidentService;
  guardrails: GuardrailsRepository;
  staleness?: StalenessProvider;
  playbook: PlaybookHandlers;
}

export const ruleVersion = (r: GuardianRule): string =>
  crypto.createHash('sha256').update(JSON.stringify(r)).digest('hex').slice(0, 12);

/** The rules and named playbooks the guardian runs; swapped as one (a policy reload). */
export interface GuardianPolicy {
  rules: GuardianRule[];
  playbooks: Playbooks;
}

/** Nested playbook references deeper than this are refused at run time (validation forbids cycles). */
const MAX_PLAYBOOK_DEPTH = 8;
/** Series named in a rule's `observed` (the offending ones first). */
const OBSERVED_SERIES_MAX = 10;

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

/**
 * Evaluates every rule each tick. A failing rule opens an incident (one per rule while unresolved),
 * latches its guardrail and runs its playbook; a shadow rule only records. Latched guardrails do not
 * fire again until flush_guardrails clears them.
 */
export class Guardian implements Part {
  readonly name = 'guardian';
  private timer: NodeJS.Timeout | null = null;
  private staleness: StalenessProvider;
  private readonly triggers: Counter<'rule'>;
  private readonly evaluations: Counter<'verdict'>;
  private readonly last = new Map<string, Verdict>();
  private rules: GuardianRule[];
  private playbooks: Playbooks;
  private readonly state = new Map<string, RuleState>();
  private readonly matchers = new Map<string, SeriesTest>();
  /** Matched series per (name, selector), kept until the family gains or loses a series. */
  private readonly selections = new Map<string, { family: WorkloadFamily; version: number; series: SeriesState[] }>();

  constructor(
    private readonly ctx: SidecarContext,
    private readonly deps: GuardianDeps
  ) {
    this.staleness = deps.staleness ?? NO_AGENTS;
    this.rules = ctx.config.guardian.rules;
    this.playbooks = ctx.config.guardian.playbooks;
    this.triggers = ctx.metrics.counter({
      name: 'lookout_guardrail_triggers_total',
      help: 'Guardian rules that fired (shadow rules included), by rule',
      labelNames: ['rule'] as const,
    });
    this.evaluations = ctx.metrics.counter({
      name: 'lookout_guardian_rule_evaluations_total',
      help: 'Guardian rule evaluations, by verdict (pass, fail, inconclusive)',
      labelNames: ['verdict'] as const,
    });
    ctx.status.section('guardian', () => ({
      rules: this.rules.length,
      latched: this.deps.guardrails.latched().map((g) => g.rule),
      tick_ms: ctx.config.guardian.tick_ms,
    }));
  }

  /** The agent registry plugs its heartbeat view in here. */
  setStalenessProvider(p: StalenessProvider): void {
    this.staleness = p;
  }

  /** Replaces the rules, keeping the named playbooks (benchmarks, tests). */
  setRules(rules: GuardianRule[]): void {
    this.setPolicy({ rules, playbooks: this.playbooks });
  }

  /**
   * Replaces rules and playbooks in one step (a policy reload). A rule whose definition did not change
   * keeps its `for` clock and last verdict; a changed or removed one starts over.
   */
  setPolicy(policy: GuardianPolicy): void {
    const versions = new Map(policy.rules.map((r) => [r.name, ruleVersion(r)]));
    for (const [name, st] of this.state) if (versions.get(name) !== st.version) this.state.delete(name);
    for (const name of [...this.last.keys()]) {
      const rule = name.startsWith('shadow:') ? name.slice(7) : name;
      if (!versions.has(rule)) this.last.delete(name);
    }
    this.matchers.clear();
    this.selections.clear();
    this.rules = policy.rules;
    this.playbooks = policy.playbooks;
  }

  /** The rules and playbooks running now. */
  policy(): GuardianPolicy {
    return { rules: this.rules, playbooks: this.playbooks };
  }

  start(): void {
    if (!this.ctx.config.guardian.enabled) return;
    this.timer = setInterval(() => {
      try {
        this.tick();
      } catch (err) {
        logPartFailure(this.ctx.log, err, 'guardian tick failed');
      }
    }, this.ctx.config.guardian.tick_ms);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One evaluation of every rule; returns the results (tests call this directly). */
  tick(now = Date.now()): RuleResult[] {
    const cache = new Map<string, number>();
    const results: RuleResult[] = [];
    let stale: { agent: string; age_s: number }[] | null = null;
    for (const rule of this.rules) {
      let r: RuleResult;
      try {
        if (rule.type === 'heartbeat_staleness') stale ??= this.staleness.staleAgents();
        r = this.evaluate(rule, now, cache, stale ?? []);
      } catch (err) {
        r = { rule: rule.name, verdict: 'inconclusive', observed: { error: (err as Error).message }, no_data: false };
      }
      this.evaluations.inc({ verdict: r.verdict });
      results.push(r);
      const prev = this.last.get(rule.name);
      this.last.set(rule.name, r.verdict);
      if (r.verdict === 'fail') {
        try {
          this.fire(rule, r);
        } catch (err) {
          // One rule failing to record must not stop the others from being judged this tick.
          this.ctx.log.error({ err, rule: rule.name }, 'guardian could not act on a firing rule');
        }
      } else if (prev === 'fail') {
        this.ctx.events.append({
          source: 'guardian',
          kind: 'rule.recovered',
          severity: 'info',
          subject: rule.name,
          data: { rule: rule.name, verdict: r.verdict, observed: r.observed },
        });
      }
    }
    return results;
  }

  private noData(rule: GuardianRule, observed: Record<string, unknown>): RuleResult {
    return { rule: rule.name, verdict: rule.no_data, observed: { ...observed, no_data: true }, no_data: true };
  }

  /** The series of a threshold rule's name that its selector matches (fresh or not). */
  private select(rule: ThresholdRule): { family: WorkloadFamily; series: SeriesState[] } | null {
    const family = this.ctx.telemetry.family(rule.metric);
    if (!family) return null;
    if (!rule.match || Object.keys(rule.match).length === 0) return { family, series: [...family.series.values()] };
    const key = `${rule.metric}\u0000${JSON.stringify(rule.match)}`;
    const hit = this.selections.get(key);
    if (hit && hit.family === family && hit.version === family.version) return hit;
    let test = this.matchers.get(key);
    if (!test) {
      test = compileMatchers(rule.match);
      this.matchers.set(key, test);
    }
    const series: SeriesState[] = [];
    for (const s of family.series.values()) if (test(s.labels)) series.push(s);
    const sel = { family, version: family.version, series };
    this.selections.set(key, sel);
    return sel;
  }

  /** Whether a threshold rule's condition holds now, and what it saw; null when it saw nothing fresh. */
  private judgeThreshold(
    rule: ThresholdRule,
    now: number
  ): { holds: boolean; observed: Record<string, unknown> } | null | 'no_family' {
    const sel = this.select(rule);
    if (!sel) return 'no_family';
    const cutoff = now - rule.stale_after;
    const fresh: SeriesState[] = [];
    for (const s of sel.series) if (s.tsMs >= cutoff) fresh.push(s);
    const base = { metric: rule.metric, aggregate: rule.aggregate, ...(rule.match ? { match: rule.match } : {}) };
    if (rule.aggregate === 'count') {
      const holds = compare(fresh.length, rule.op, rule.value);
      return { holds, observed: { ...base, value: fresh.length, series: fresh.length } };
    }
    if (!fresh.length) return null;
    const view = (s: SeriesState): Record<string, unknown> => ({ labels: s.labels, value: s.value });
    switch (rule.aggregate) {
      case 'any':
      case 'all': {
        const meeting = fresh.filter((s) => compare(s.value, rule.op, rule.value));
        const holds = rule.aggregate === 'any' ? meeting.length > 0 : meeting.length === fresh.length;
        const shown = (meeting.length ? meeting : fresh).slice(0, OBSERVED_SERIES_MAX).map(view);
        const unlabeled = fresh.length === 1 && fresh[0]!.key === '';
        return {
          holds,
          observed: {
            ...base,
            ...(unlabeled ? { value: fresh[0]!.value } : {}),
            series: fresh.length,
            meeting: meeting.length,
            ...(unlabeled ? {} : { [meeting.length ? 'offending' : 'sample']: shown }),
          },
        };
      }
      default: {
        let v = rule.aggregate === 'min' ? Infinity : rule.aggregate === 'max' ? -Infinity : 0;
        for (const s of fresh) {
          if (rule.aggregate === 'min') v = Math.min(v, s.value);
          else if (rule.aggregate === 'max') v = Math.max(v, s.value);
          else v += s.value;
        }
        if (rule.aggregate === 'avg') v /= fresh.length;
        return { holds: compare(v, rule.op, rule.value), observed: { ...base, value: v, series: fresh.length } };
      }
    }
  }

  evaluate(
    rule: GuardianRule,
    now: number,
    cache = new Map<string, number>(),
    stale: { agent: string; age_s: number }[] = []
  ): RuleResult {
    switch (rule.type) {
      case 'threshold': {
        const judged = this.judgeThreshold(rule, now);
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
          return { rule: rule.name, verdict: 'pass', observed: judged.observed, no_data: false };
        }
        const since = this.pending(rule, now);
        const held = now - since;
        return {
          rule: rule.name,
          verdict: held >= rule.for ? 'fail' : 'pass',
          observed: { ...judged.observed, held_ms: held, for_ms: rule.for },
          no_data: false,
        };
      }
      case 'event_rate': {
        const uptime = now - this.ctx.startedAt.getTime();
        // Rounded to the second so rules over the same window share one count per tick.
        const since = new Date(Math.floor((now - rule.window) / 1000) * 1000).toISOString();
        const key = JSON.stringify([since, rule.source ?? null, rule.kind ?? null, rule.min_severity ?? null]);
        let n = cache.get(key);
        if (n === undefined) {
          n = this.countEvents(since, rule);
          cache.set(key, n);
        }
        if (n === 0 && uptime < rule.window)
          return this.noData(rule, { count: 0, window_ms: rule.window, uptime_ms: uptime });
        return {
          rule: rule.name,
          verdict: compare(n, rule.op, rule.value) ? 'fail' : 'pass',
          observed: { count: n, window_ms: rule.window },
          no_data: false,
        };
      }
      case 'telemetry_stale': {
        const newest = this.ctx.telemetry.newestSnapshotMs();
        // Before the first snapshot, the workload has been silent since the sidecar started.
        const from = newest ?? this.ctx.startedAt.getTime();
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

  private countEvents(since: string, rule: Extract<GuardianRule, { type: 'event_rate' }>): number {
    const where = ['ts >= @since'];
    const args: Record<string, unknown> = { since };
    if (rule.source) {
      where.push('source = @source');
      args.source = rule.source;
    }
    if (rule.kind) {
      if (rule.kind.endsWith('*')) {
        where.push("kind LIKE @kind ESCAPE '\\'");
        args.kind = rule.kind.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`) + '%';
      } else {
        where.push('kind = @kind');
        args.kind = rule.kind;
      }
    }
    if (rule.min_severity) {
      where.push('severity >= @sev');
      args.sev = severityRank(rule.min_severity as Severity);
    }
    return (
      prepareCached(this.ctx.db, `SELECT COUNT(*) AS n FROM events WHERE ${where.join(' AND ')}`).get(args) as {
        n: number;
      }
    ).n;
  }

  private fire(rule: GuardianRule, r: RuleResult): void {
    if (this.deps.guardrails.isLatched(rule.name)) return;
    const title = rule.title ?? describeRule(rule);
    this.triggers.inc({ rule: rule.name });
    if (rule.shadow) {
      if (this.last.get(`shadow:${rule.name}`) === 'fail') return;
      this.last.set(`shadow:${rule.name}`, 'fail');
      this.ctx.events.append({
        source: 'guardian',
        kind: 'rule.fired',
        severity: 'info',
        subject: rule.name,
        data: {
          rule: rule.name,
          shadow: true,
          rule_version: ruleVersion(rule),
          observed: r.observed,
          would_run: rule.playbook,
        },
      });
      return;
    }
    const existing = this.deps.incidents.repo.openForRule(rule.name);
    const incident =
      existing ??
      this.deps.incidents.open({
        rule: rule.name,
        severity: rule.severity,
        title,
        open_diagnostic: rule.open_diagnostic,
        data: {
          rule_version: ruleVersion(rule),
          observed: r.observed,
          no_data: r.no_data,
          ...(rule.reason ? { reason: rule.reason } : {}),
          ...(rule.runbook ? { runbook: rule.runbook } : {}),
        },
      });
    this.deps.guardrails.latch(rule.name, incident.id, new Date().toISOString());
    this.ctx.events.append({
      source: 'guardian',
      kind: 'rule.fired',
      severity: rule.severity,
      subject: rule.name,
      data: {
        rule: rule.name,
        shadow: false,
        incident_id: incident.id,
        rule_version: ruleVersion(rule),
        observed: r.observed,
        ...(rule.runbook ? { runbook: rule.runbook } : {}),
      },
    });
    for (const step of rule.playbook) this.runStep(rule, step, incident.id, title, 0);
  }

  private runStep(rule: GuardianRule, step: PlaybookStep, incidentId: string, title: string, depth: number): void {
    const reason = `guardian rule ${rule.name} fired: ${title}`;
    try {
      switch (step.do) {
        case 'playbook': {
          // Validation refuses cycles; the depth bound keeps a bug from becoming a stack overflow.
          if (depth >= MAX_PLAYBOOK_DEPTH) throw new Error(`playbooks nested deeper than ${MAX_PLAYBOOK_DEPTH}`);
          const steps = this.playbooks[step.name];
          if (!steps) throw new Error(`no playbook named ${step.name}`);
          for (const inner of steps) this.runStep(rule, inner, incidentId, title, depth + 1);
          break;
        }
        case 'kill_switch':
          this.deps.playbook.engageKillSwitch(reason, incidentId);
          break;
        case 'pause_scheduler':
          this.deps.playbook.pauseScheduler(reason, incidentId);
          break;
        case 'action':
          this.deps.playbook.runAction(step.action, step.params, reason, incidentId);
          break;
        case 'notify': {
          const payload = {
            incident_id: incidentId,
            rule: rule.name,
            severity: rule.severity,
            title,
            message: step.message ?? title,
          };
          this.ctx.events.append({
            source: 'guardian',
            kind: 'notify',
            severity: rule.severity,
            subject: rule.name,
            data: payload,
          });
          void this.ctx.bus.publish(`lookout.notify.${this.ctx.config.node}`, payload).catch((err: unknown) => {
            this.ctx.log.warn({ err, rule: rule.name }, 'notify publish failed');
          });
          break;
        }
      }
      this.ctx.events.append({
        source: 'guardian',
        kind: 'playbook.step',
        severity: 'info',
        subject: rule.name,
        data: { rule: rule.name, incident_id: incidentId, step, ok: true },
      });
    } catch (err) {
      this.ctx.events.append({
        source: 'guardian',
        kind: 'playbook.step',
        severity: 'warning',
        subject: rule.name,
        data: { rule: rule.name, incident_id: incidentId, step, ok: false, error: (err as Error).message },
      });
    }
  }
}

export function describeRule(rule: GuardianRule): string {
  switch (rule.type) {
    case 'threshold': {
      const sel = Object.entries(rule.match ?? {})
        .map(([k, m]) =>
          typeof m === 'string'
            ? `${k}="${m}"`
            : 're' in m
              ? `${k}=~"${m.re}"`
              : 'not' in m
                ? `${k}!="${m.not}"`
                : `${k}!~"${m.not_re}"`
        )
        .join(',');
      const what = `${rule.metric}${sel ? `{${sel}}` : ''}`;
      const agg = rule.aggregate === 'any' ? what : `${rule.aggregate}(${what})`;
      return `${agg} ${rule.op} ${rule.value}${rule.for ? ` for ${rule.for / 1000}s` : ''}`;
    }
    case 'event_rate':
      return `${rule.kind ?? 'events'}${rule.source ? ` from ${rule.source}` : ''} ${rule.op} ${rule.value} in ${rule.window / 1000}s`;
    case 'heartbeat_staleness':
      return `agent heartbeat older than ${rule.max_age / 1000}s`;
    case 'telemetry_stale':
      return `no workload telemetry for ${rule.max_age / 1000}s`;
  }
}
