import crypto from 'node:crypto';
import type { Part, SidecarContext } from '../context';
import type { Counter } from '../metrics/metrics-registry';
import { severityRank, type Severity } from '../events/event';
import { type GuardianRule, type PlaybookStep, compare } from './guardian-config';
import type { IncidentService } from './incident-service';
import type { GuardrailsRepository } from './guardrails-repository';
import type { KillSwitch } from './kill-switch';
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

  constructor(
    private readonly ctx: SidecarContext,
    private readonly deps: GuardianDeps
  ) {
    this.staleness = deps.staleness ?? NO_AGENTS;
    this.rules = ctx.config.guardian.rules;
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

  /** Replaces the rules (benchmarks, tests); config is the normal source. */
  setRules(rules: GuardianRule[]): void {
    this.rules = rules;
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
    const cache = new Map<string, { ts: string; value: number }[]>();
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

  private samples(
    metric: string,
    since: string,
    cache: Map<string, { ts: string; value: number }[]>
  ): { ts: string; value: number }[] {
    const key = `${metric}\u0000${since}`;
    let s = cache.get(key);
    if (!s) {
      s = this.ctx.telemetryRepo.samples(metric, since);
      cache.set(key, s);
    }
    return s;
  }

  private noData(rule: GuardianRule, observed: Record<string, unknown>): RuleResult {
    return { rule: rule.name, verdict: rule.no_data, observed: { ...observed, no_data: true }, no_data: true };
  }

  evaluate(
    rule: GuardianRule,
    now: number,
    cache = new Map<string, { ts: string; value: number }[]>(),
    stale: { agent: string; age_s: number }[] = []
  ): RuleResult {
    switch (rule.type) {
      case 'threshold': {
        const lookback = Math.max(rule.for, rule.stale_after) + rule.stale_after;
        // Round the window start so rules over one metric share one query per tick.
        const since = new Date(Math.floor((now - lookback) / 1000) * 1000).toISOString();
        const samples = this.samples(rule.metric, since, cache);
        const latest = samples.at(-1);
        if (!latest || now - Date.parse(latest.ts) > rule.stale_after) {
          return this.noData(rule, { metric: rule.metric, latest: latest ?? null });
        }
        if (!compare(latest.value, rule.op, rule.value)) {
          return {
            rule: rule.name,
            verdict: 'pass',
            observed: { metric: rule.metric, value: latest.value },
            no_data: false,
          };
        }
        // How long has the condition held without a break?
        let since_ts = latest.ts;
        for (let i = samples.length - 1; i >= 0; i--) {
          if (!compare(samples[i]!.value, rule.op, rule.value)) break;
          since_ts = samples[i]!.ts;
        }
        const held = now - Date.parse(since_ts);
        const verdict: Verdict = held >= rule.for ? 'fail' : 'pass';
        return {
          rule: rule.name,
          verdict,
          observed: { metric: rule.metric, value: latest.value, held_ms: held, for_ms: rule.for },
          no_data: false,
        };
      }
      case 'event_rate': {
        const uptime = now - this.ctx.startedAt.getTime();
        const since = new Date(now - rule.window).toISOString();
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
        const n = (
          this.ctx.db.prepare(`SELECT COUNT(*) AS n FROM events WHERE ${where.join(' AND ')}`).get(args) as {
            n: number;
          }
        ).n;
        if (n === 0 && uptime < rule.window)
          return this.noData(rule, { count: 0, window_ms: rule.window, uptime_ms: uptime });
        return {
          rule: rule.name,
          verdict: compare(n, rule.op, rule.value) ? 'fail' : 'pass',
          observed: { count: n, window_ms: rule.window },
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
        data: { rule_version: ruleVersion(rule), observed: r.observed, no_data: r.no_data },
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
      },
    });
    for (const step of rule.playbook) this.runStep(rule, step, incident.id, title);
  }

  private runStep(rule: GuardianRule, step: PlaybookStep, incidentId: string, title: string): void {
    const reason = `guardian rule ${rule.name} fired: ${title}`;
    try {
      switch (step.do) {
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
    case 'threshold':
      return `${rule.metric} ${rule.op} ${rule.value}${rule.for ? ` for ${rule.for / 1000}s` : ''}`;
    case 'event_rate':
      return `${rule.kind ?? 'events'}${rule.source ? ` from ${rule.source}` : ''} ${rule.op} ${rule.value} in ${rule.window / 1000}s`;
    case 'heartbeat_staleness':
      return `agent heartbeat older than ${rule.max_age / 1000}s`;
  }
}
