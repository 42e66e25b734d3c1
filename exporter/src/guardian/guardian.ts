import type { Part, SidecarContext } from '../context';
import type { Counter } from '../metrics/metrics-registry';
import type { GuardianRule } from './guardian-config';
import type { IncidentService } from './incident-service';
import type { GuardrailsRepository } from './guardrails-repository';
import type { KillSwitch } from './kill-switch';
import { logPartFailure } from '../store/store-health';
import { countRuleEvents } from './event-count';
import {
  type GuardianPolicy,
  type GuardianSource,
  type LatchView,
  type LeafStep,
  type RuleResult,
  RuleEvaluator,
  type StaleAgent,
  type StepSink,
  type Transition,
  expandPlaybook,
  ruleVersion,
  runPlaybook,
  thresholdsOf,
} from './rule-evaluator';

/** Where heartbeat staleness comes from (the agent registry); the default knows no agents. */
export interface StalenessProvider {
  staleAgents(): StaleAgent[];
}
export const NO_AGENTS: StalenessProvider = { staleAgents: () => [] };

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

/** What the live guardian reads: the sidecar's telemetry, event log and agent registry, now. */
class LiveSource implements GuardianSource {
  constructor(
    private readonly ctx: SidecarContext,
    private readonly staleness: () => StalenessProvider
  ) {}
  family(name: string): ReturnType<GuardianSource['family']> {
    return this.ctx.telemetry.family(name);
  }
  newestSnapshotMs(): number | null {
    return this.ctx.telemetry.newestSnapshotMs();
  }
  startedAtMs(): number {
    return this.ctx.startedAt.getTime();
  }
  countEvents(rule: Parameters<GuardianSource['countEvents']>[0], since: string): number {
    return countRuleEvents(this.ctx.db, rule, since, null);
  }
  staleAgents(): readonly StaleAgent[] {
    return this.staleness().staleAgents();
  }
}

/**
 * Evaluates every rule each tick (the judgement is `RuleEvaluator`'s, shared with backtests) and acts on
 * what it decides. A failing rule opens an incident (one per rule while unresolved), latches its
 * guardrail and runs its playbook; a shadow rule latches its own shadow guardrail and records the same
 * decision, marked shadow, with the steps it would have run. Latched guardrails do not fire again until
 * flush_guardrails clears them.
 */
export class Guardian implements Part {
  readonly name = 'guardian';
  private timer: NodeJS.Timeout | null = null;
  private staleness: StalenessProvider;
  private readonly triggers: Counter<'rule' | 'shadow'>;
  private readonly evaluations: Counter<'verdict'>;
  private readonly evaluator: RuleEvaluator;
  private readonly source: LiveSource;
  private readonly latches: LatchView;
  private policyVersion: string | null = null;

  constructor(
    private readonly ctx: SidecarContext,
    private readonly deps: GuardianDeps
  ) {
    this.staleness = deps.staleness ?? NO_AGENTS;
    this.evaluator = new RuleEvaluator({ rules: ctx.config.guardian.rules, playbooks: ctx.config.guardian.playbooks });
    this.source = new LiveSource(ctx, () => this.staleness);
    this.latches = { isLatched: (rule, shadow) => deps.guardrails.isLatched(rule, shadow) };
    this.triggers = ctx.metrics.counter({
      name: 'lookout_guardrail_triggers_total',
      help: 'Guardian rules that fired, by rule; shadow="true" for shadow rules (recorded, never acted on)',
      labelNames: ['rule', 'shadow'] as const,
    });
    this.evaluations = ctx.metrics.counter({
      name: 'lookout_guardian_rule_evaluations_total',
      help: 'Guardian rule evaluations, by verdict (pass, fail, inconclusive)',
      labelNames: ['verdict'] as const,
    });
    ctx.status.section('guardian', () => ({
      rules: this.evaluator.policy().rules.length,
      shadow_rules: this.evaluator.policy().rules.filter((r) => r.shadow).length,
      latched: this.deps.guardrails.latched().map((g) => g.rule),
      shadow_latched: this.deps.guardrails.latched(true).map((g) => g.rule),
      tick_ms: ctx.config.guardian.tick_ms,
    }));
  }

  /** The agent registry plugs its heartbeat view in here. */
  setStalenessProvider(p: StalenessProvider): void {
    this.staleness = p;
  }

  /** Replaces the rules, keeping the named playbooks (benchmarks, tests). */
  setRules(rules: GuardianRule[]): void {
    this.setPolicy({ rules, playbooks: this.evaluator.policy().playbooks });
  }

  /**
   * Replaces rules and playbooks in one step (a policy reload). A rule whose definition did not change
   * keeps its `for` clock and last verdict; a changed or removed one starts over. `version` (the policy
   * file's) is recorded with every decision.
   */
  setPolicy(policy: GuardianPolicy, version: string | null = null): void {
    this.evaluator.setPolicy(policy);
    this.policyVersion = version;
  }

  /** The rules and playbooks running now. */
  policy(): GuardianPolicy {
    return this.evaluator.policy();
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
    const results = this.evaluator.tick(now, this.source, this.latches, (t) => this.act(t, now));
    for (const r of results) this.evaluations.inc({ verdict: r.verdict });
    return results;
  }

  /** Evaluates one rule now, outside the tick (its `for` clock is the running one's). */
  evaluate(rule: GuardianRule, now = Date.now()): RuleResult {
    return this.evaluator.evaluate(rule, now, this.source);
  }

  private act(t: Transition, now: number): void {
    const { rule, result } = t;
    if (t.kind === 'recover') {
      this.ctx.events.append({
        source: 'guardian',
        kind: 'rule.recovered',
        severity: 'info',
        subject: rule.name,
        data: { rule: rule.name, shadow: rule.shadow, verdict: result.verdict, observed: result.observed },
      });
      return;
    }
    try {
      this.fire(rule, result, now);
    } catch (err) {
      // One rule failing to record must not stop the others from being judged this tick.
      this.ctx.log.error({ err, rule: rule.name }, 'guardian could not act on a firing rule');
    }
  }

  /** What every decision records about itself, live and shadow alike. */
  private provenance(rule: GuardianRule, r: RuleResult, now: number): Record<string, unknown> {
    return {
      rule: rule.name,
      shadow: rule.shadow,
      rule_version: ruleVersion(rule),
      policy_version: this.policyVersion,
      at: new Date(now).toISOString(),
      verdict: r.verdict,
      no_data: r.no_data,
      observed: r.observed,
      thresholds: thresholdsOf(rule),
    };
  }

  private fire(rule: GuardianRule, r: RuleResult, now: number): void {
    const title = rule.title ?? describeRule(rule);
    const at = new Date().toISOString();
    if (rule.shadow) {
      this.ctx.db.transaction(() => {
        this.deps.guardrails.latch(rule.name, null, at, true);
        this.ctx.events.append({
          source: 'guardian',
          kind: 'rule.fired',
          severity: 'info',
          subject: rule.name,
          data: {
            ...this.provenance(rule, r, now),
            title,
            severity: rule.severity,
            would_run: expandPlaybook(rule.playbook, this.evaluator.policy().playbooks),
            ...(rule.runbook ? { runbook: rule.runbook } : {}),
          },
        });
      })();
      this.triggers.inc({ rule: rule.name, shadow: 'true' });
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
    this.deps.guardrails.latch(rule.name, incident.id, at, false);
    this.triggers.inc({ rule: rule.name, shadow: 'false' });
    this.ctx.events.append({
      source: 'guardian',
      kind: 'rule.fired',
      severity: rule.severity,
      subject: rule.name,
      data: {
        ...this.provenance(rule, r, now),
        incident_id: incident.id,
        ...(rule.runbook ? { runbook: rule.runbook } : {}),
      },
    });
    runPlaybook(rule.playbook, this.evaluator.policy().playbooks, this.liveSteps(rule, incident.id, title));
  }

  /** Performs playbook steps for real, recording each as a `playbook.step` event. */
  private liveSteps(rule: GuardianRule, incidentId: string, title: string): StepSink {
    const reason = `guardian rule ${rule.name} fired: ${title}`;
    return {
      perform: (step: LeafStep) => {
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
      },
      done: (step, error) => {
        this.ctx.events.append({
          source: 'guardian',
          kind: 'playbook.step',
          severity: error ? 'warning' : 'info',
          subject: rule.name,
          data: {
            rule: rule.name,
            incident_id: incidentId,
            step,
            ok: !error,
            ...(error ? { error: error.message } : {}),
          },
        });
      },
    };
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
