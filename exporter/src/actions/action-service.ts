import crypto from 'node:crypto';
import type { Part, SidecarContext } from '../context';
import type { Role } from '../config/config-schema';
import type { Counter, Histogram } from '../metrics/metrics-registry';
import { SLOW_BUCKETS } from '../metrics/metrics-registry';
import type { KillSwitch } from '../guardian/kill-switch';
import type { IncidentService } from '../guardian/incident-service';
import type { GuardrailsRepository } from '../guardian/guardrails-repository';
import { type ComparisonOp, compare } from '../guardian/guardian-config';
import { BUILTIN_ACTIONS, type BuiltinAction, type ExecutorConfig } from './actions-config';
import {
  BusExecutor,
  type ExecutionRequest,
  type ExecutionResult,
  type Executor,
  ExecutorError,
  createExecutor,
} from './executors';
import {
  type ActionRecord,
  type ActionStatus,
  type ActionTrigger,
  ActionsRepository,
  type Change,
  type Interlock,
  type Plan,
} from './actions-repository';
import type { LocalAction } from './local-action';
import {
  ActionForbiddenError,
  IdempotencyMismatchError,
  PlanRequiredError,
  InterlockError,
  PlanConflictError,
  PlanExpiredError,
  PlanNotFoundError,
  PlanStaleError,
  UnknownActionError,
} from './action-errors';

/** The state a plan is judged against; its fingerprint detects changes between plan and apply. */
export interface ControlState {
  kill_switch: { engaged: boolean };
  /** The fleet kill state as this node last read it: engaged for this node or not (false outside a fleet). */
  fleet_kill: { engaged: boolean };
  scheduler: { paused: boolean };
  lineage: { model: string | null; active: string | null; canary: string | null; generations: number };
  incidents: { open_critical: number };
  guardrails: { latched: number; cooldowns: number };
  cooldown: { until: string | null };
  /** Shown in the plan, not part of the fingerprint: telemetry moves every tick. */
  workload: { state_active: number | null };
  /** A sidecar action's own target (the task, the agent, the scheduler's pause); null for workload actions. */
  target: Record<string, unknown> | null;
}

/** What an applied action must make true, checked until its deadline. */
export type Expectation =
  | { kind: 'telemetry'; metric: string; op: ComparisonOp; value: number; deadline_ms: number }
  | { kind: 'lineage_generation'; generation: string | null; known: string[]; deadline_ms: number }
  | { kind: 'lineage_active'; generation: string; deadline_ms: number }
  | { kind: 'guardrails_clear'; deadline_ms: number };

export interface ActionDefinition {
  name: string;
  summary: string;
  builtin: boolean;
  /** Least role that may plan and apply it. */
  access: 'operator' | 'admin';
  executor: Executor;
  cooldownMs: number;
  custom?: { metric: string; op: ComparisonOp; value: number; deadline_ms: number } | null;
  /** A sidecar action (scheduler, task queue, agents): judged and run by its capability. */
  local?: LocalAction;
}

export interface ActionDeps {
  killSwitch: KillSwitch;
  incidents: IncidentService;
  guardrails: GuardrailsRepository;
  schedulerPaused: () => boolean;
  /** Whether the fleet kill state engages this node (fleet mode); a local kill_release is refused then. */
  fleetKillEngaged?: () => boolean;
}

export interface Caller {
  actor: string;
  /** Whose Idempotency-Keys these are: a token name, or one Grafana user of the grafana token. */
  token: string;
  role: Role;
}

export interface PlanOptions {
  params?: Record<string, unknown>;
  breakGlass?: boolean;
}

export interface ApplyOptions {
  planId: string;
  reason: string;
  idempotencyKey: string;
  trigger: ActionTrigger;
  decisionId?: string | null;
  /** What the key is bound to; defaults to the hash of action, plan id and reason. */
  requestHash?: string;
}

const RANK: Record<Role, number> = { agent: 0, alertmanager: 0, viewer: 1, operator: 2, admin: 3 };

const SUMMARIES: Record<BuiltinAction, string> = {
  kill: 'Engage the kill switch and stop the workload trading (state_active 0)',
  kill_release: 'Release the kill switch and let the workload trade again (state_active 1)',
  retrain: 'Train a new candidate generation',
  canary_promote: 'Make the canary generation active',
  rollback: 'Re-activate a generation (params.target, or the last known good one)',
  flush_guardrails: 'Clear latched guardrails and cooldowns',
};

/** Runs a sidecar action in process. */
class LocalActionExecutor implements Executor {
  readonly kind = 'local' as const;
  constructor(private readonly action: LocalAction) {}
  execute(req: ExecutionRequest): Promise<ExecutionResult> {
    try {
      return Promise.resolve({ attempts: 1, ...this.action.execute(req) });
    } catch (err) {
      return Promise.resolve({ ok: false, message: (err as Error).message, attempts: 1 });
    }
  }
}

/** Runs the effect that belongs to the sidecar itself: flush_guardrails clears guardrails and cooldowns. */
class LocalFlushExecutor implements Executor {
  readonly kind = 'local' as const;
  constructor(private readonly guardrails: GuardrailsRepository) {}
  async execute(): Promise<ExecutionResult> {
    const cleared = this.guardrails.flush();
    return {
      ok: true,
      message: `cleared ${cleared.guardrails} guardrails and ${cleared.cooldowns} cooldowns`,
      data: cleared,
      attempts: 1,
    };
  }
}

const sha256 = (s: string): string => crypto.createHash('sha256').update(s).digest('hex');

/**
 * The action lifecycle: plan (dry run bound to a state fingerprint) → apply (reason, idempotency key)
 * → execute through an executor → verify the expected effect. Every step is an event (source
 * `actions`, scheduler feed) and one row in `actions`.
 */
export class ActionService implements Part {
  readonly name = 'actions';
  readonly repo: ActionsRepository;
  private readonly defs = new Map<string, ActionDefinition>();
  private readonly running = new Set<Promise<void>>();
  /** Executions in flight by action id (whenFinished). */
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly cancels = new Set<() => void>();
  private stopped = false;
  private readonly outcomes: Counter<'action' | 'trigger' | 'outcome'>;
  private readonly duration: Histogram<'action'>;
  private readonly verifications: Counter<'action' | 'result'>;

  constructor(
    private readonly ctx: SidecarContext,
    private readonly deps: ActionDeps
  ) {
    this.repo = new ActionsRepository(ctx.db);
    const cfg = ctx.config.actions;
    for (const name of BUILTIN_ACTIONS) {
      const override: ExecutorConfig | undefined = cfg.executors[name];
      const executor =
        name === 'flush_guardrails' && !override
          ? new LocalFlushExecutor(deps.guardrails)
          : override
            ? createExecutor(override, ctx.bus)
            : new BusExecutor(ctx.bus, { timeoutMs: cfg.bus_timeout_ms });
      this.defs.set(name, {
        name,
        summary: SUMMARIES[name],
        builtin: true,
        access: name === 'kill_release' ? 'admin' : 'operator',
        executor,
        cooldownMs: cfg.cooldowns[name] ?? 0,
      });
    }
    for (const c of cfg.custom) {
      this.defs.set(c.name, {
        name: c.name,
        summary: c.summary,
        builtin: false,
        access: c.access,
        executor: createExecutor(c.executor, ctx.bus),
        cooldownMs: c.cooldown,
        custom: c.expect
          ? {
              metric: c.expect.metric,
              op: c.expect.op,
              value: c.expect.value,
              deadline_ms: c.expect.deadline ?? cfg.verify_deadline,
            }
          : null,
      });
    }
    this.outcomes = ctx.metrics.counter({
      name: 'lookout_scheduler_actions_total',
      help: 'Actions that reached a final status, by action, trigger (api, classic, scheduler, guardian, fleet) and outcome',
      labelNames: ['action', 'trigger', 'outcome'] as const,
    });
    this.duration = ctx.metrics.histogram({
      name: 'lookout_action_duration_seconds',
      help: 'Time from apply to the final status (applied, verified, failed, timed_out)',
      labelNames: ['action'] as const,
      buckets: SLOW_BUCKETS,
    });
    this.verifications = ctx.metrics.counter({
      name: 'lookout_action_verifications_total',
      help: 'Checks of an action expected effect, by result (verified, timed_out)',
      labelNames: ['action', 'result'] as const,
    });
  }

  start(): void {
    // An action caught mid-flight by a restart has an unknown outcome: say so rather than leave it hanging.
    for (const a of this.repo.unfinished()) {
      this.finish(a, 'failed', { error: 'interrupted: the sidecar stopped before the outcome was known' });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const c of [...this.cancels]) c();
    await Promise.allSettled([...this.running]);
  }

  /** Adds a sidecar action (main.ts registers the scheduler's and the task queue's before start). */
  registerLocal(action: LocalAction): void {
    if (this.defs.has(action.name)) throw new Error(`action ${action.name} is already defined`);
    this.defs.set(action.name, {
      name: action.name,
      summary: action.summary,
      builtin: true,
      access: action.access,
      executor: new LocalActionExecutor(action),
      cooldownMs: this.ctx.config.actions.cooldowns[action.name] ?? 0,
      local: action,
    });
  }

  /** Resolves once the action reached a final status (at once when it already has). */
  async whenFinished(id: string): Promise<ActionRecord | undefined> {
    await this.inflight.get(id);
    return this.repo.getAction(id);
  }

  definitions(): ActionDefinition[] {
    return [...this.defs.values()];
  }

  definition(name: string): ActionDefinition {
    const d = this.defs.get(name);
    if (!d) throw new UnknownActionError(`no action ${name}; known: ${[...this.defs.keys()].join(', ')}`);
    return d;
  }

  /** Waits for every execution and verification in flight (tests, benchmarks). */
  async settle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  // ---- state, changes, interlocks -----------------------------------------------------------------

  state(action: string, params: Record<string, unknown> = {}): ControlState {
    const now = new Date().toISOString();
    const local = this.defs.get(action)?.local;
    const lineage = this.ctx.lineage.current();
    const cooldown = this.deps.guardrails.cooldown(`action:${action}`, now);
    const stateActive = this.ctx.telemetryRepo.latestValue('state_active');
    return {
      kill_switch: { engaged: this.deps.killSwitch.isEngaged() },
      fleet_kill: { engaged: this.deps.fleetKillEngaged?.() ?? false },
      scheduler: { paused: this.deps.schedulerPaused() },
      lineage: {
        model: lineage.model,
        active: lineage.active,
        canary: lineage.canary,
        generations: lineage.generations.length,
      },
      incidents: { open_critical: this.deps.incidents.repo.openCounts().critical },
      guardrails: {
        latched: this.deps.guardrails.latched().length,
        cooldowns: this.deps.guardrails.activeCooldowns(now).length,
      },
      cooldown: { until: cooldown?.until ?? null },
      workload: { state_active: stateActive ? stateActive.value : null },
      target: local ? local.target(params) : null,
    };
  }

  /**
   * The part of the state a plan is bound to. A workload action: everything but the telemetry. A
   * sidecar action: its own target and its cooldown, so a task's plan does not go stale because a
   * generation was added meanwhile.
   */
  static stableState(def: ActionDefinition, state: Record<string, unknown>): Record<string, unknown> {
    if (def.local) return { target: state['target'] ?? null, cooldown: state['cooldown'] ?? null };
    const { workload: _w, ...stable } = state;
    return stable;
  }

  static fingerprint(def: ActionDefinition, state: ControlState): string {
    return sha256(JSON.stringify(ActionService.stableState(def, state as unknown as Record<string, unknown>)));
  }

  /** The generation a target-less rollback goes to. */
  lastKnownGood(): string | null {
    const model = this.ctx.lineage.current().model;
    if (!model) return null;
    return this.ctx.lineage.lastKnownGood(
      model,
      (from, to) => this.deps.incidents.repo.criticalOverlapping(from, to) > 0
    );
  }

  private rollbackTarget(params: Record<string, unknown>): { target: string | null; interlock?: Interlock } {
    const lineage = this.ctx.lineage.current();
    const t = params['target'];
    if (t !== undefined) {
      if (typeof t !== 'string' || !t)
        return {
          target: null,
          interlock: { code: 'invalid_target', message: 'params.target must be a generation id' },
        };
      const g = lineage.generations.find((x) => x.id === t);
      if (!g)
        return {
          target: null,
          interlock: { code: 'unknown_generation', message: `generation ${t} is not in the lineage` },
        };
      if (g.status === 'failed')
        return { target: null, interlock: { code: 'target_failed', message: `generation ${t} failed evaluation` } };
      return { target: t };
    }
    const lkg = this.lastKnownGood();
    if (!lkg)
      return {
        target: null,
        interlock: { code: 'no_rollback_target', message: 'no last known good generation to roll back to' },
      };
    return { target: lkg };
  }

  private judge(
    def: ActionDefinition,
    params: Record<string, unknown>,
    state: ControlState,
    breakGlass: boolean
  ): { changes: Change[]; interlocks: Interlock[]; resolved: Record<string, unknown> } {
    const changes: Change[] = [];
    const interlocks: Interlock[] = [];
    const resolved: Record<string, unknown> = { ...params };
    if (state.kill_switch.engaged && def.name !== 'kill_release' && (!def.local || def.local.refusedByKillSwitch)) {
      interlocks.push({
        code: 'kill_switch_engaged',
        message: 'the kill switch is engaged: only kill_release may run',
      });
    }
    if (def.name === 'kill_release' && state.fleet_kill.engaged) {
      interlocks.push({
        code: 'fleet_kill_engaged',
        message:
          'the fleet kill switch is engaged for this node: release it on the hub (POST /api/v1/fleet/actions/kill_release/plan)',
      });
    }
    if (state.cooldown.until) {
      interlocks.push({ code: 'cooldown', message: `${def.name} is cooling down until ${state.cooldown.until}` });
    }
    if (def.local) {
      const j = def.local.judge(params, state.target ?? {});
      return {
        changes: j.changes,
        interlocks: [...interlocks, ...j.interlocks],
        resolved: { ...resolved, ...j.resolved },
      };
    }
    switch (def.name) {
      case 'kill':
        changes.push({ field: 'kill_switch.engaged', from: state.kill_switch.engaged, to: true });
        changes.push({ field: 'workload.state_active', from: state.workload.state_active, to: 0 });
        break;
      case 'kill_release':
        changes.push({ field: 'kill_switch.engaged', from: state.kill_switch.engaged, to: false });
        changes.push({ field: 'workload.state_active', from: state.workload.state_active, to: 1 });
        break;
      case 'retrain':
        changes.push({
          field: 'lineage.generations',
          from: state.lineage.generations,
          to: state.lineage.generations + 1,
        });
        break;
      case 'canary_promote':
        if (!state.lineage.canary)
          interlocks.push({ code: 'no_canary', message: 'there is no canary generation to promote' });
        else {
          resolved['target'] = state.lineage.canary;
          changes.push({ field: 'lineage.active', from: state.lineage.active, to: state.lineage.canary });
          changes.push({ field: 'lineage.canary', from: state.lineage.canary, to: null });
        }
        break;
      case 'rollback': {
        const r = this.rollbackTarget(params);
        if (r.interlock) interlocks.push(r.interlock);
        else if (r.target === state.lineage.active)
          interlocks.push({ code: 'already_active', message: `${r.target} is already active` });
        else {
          resolved['target'] = r.target;
          changes.push({ field: 'lineage.active', from: state.lineage.active, to: r.target });
        }
        break;
      }
      case 'flush_guardrails':
        if (state.incidents.open_critical > 0) {
          interlocks.push({
            code: 'critical_incident_open',
            message: `${state.incidents.open_critical} critical incident(s) open: flushing guardrails needs admin break-glass`,
            ...(breakGlass ? { overridden: true } : {}),
          });
        }
        changes.push({ field: 'guardrails.latched', from: state.guardrails.latched, to: 0 });
        changes.push({ field: 'guardrails.cooldowns', from: state.guardrails.cooldowns, to: 0 });
        break;
      default:
        changes.push({ field: `action.${def.name}`, from: null, to: 'run' });
        if (def.custom) {
          const cur = this.ctx.telemetryRepo.latestValue(def.custom.metric);
          changes.push({
            field: `workload.${def.custom.metric}`,
            from: cur?.value ?? null,
            to: `${def.custom.op} ${def.custom.value}`,
          });
        }
    }
    return { changes, interlocks, resolved };
  }

  // ---- plan and apply -----------------------------------------------------------------------------

  plan(name: string, caller: Caller, opts: PlanOptions = {}): Plan {
    const def = this.definition(name);
    this.authorize(def, caller);
    if (def.local?.evidence) {
      throw new PlanRequiredError(
        `${name} is planned through POST /api/v1/actions/${name}/plan (its plan gathers evidence first); it cannot run in one step`
      );
    }
    const breakGlass = !!opts.breakGlass;
    if (breakGlass && caller.role !== 'admin') throw new ActionForbiddenError('break-glass needs an admin token');
    if (breakGlass && name !== 'flush_guardrails')
      throw new ActionForbiddenError('break-glass applies to flush_guardrails only');
    const params = def.local ? def.local.params(opts.params ?? {}) : (opts.params ?? {});
    return this.makePlan(def, caller, params, breakGlass, null);
  }

  /**
   * A plan for any action: a sidecar action with evidence (policy_apply) gathers it first,
   * asynchronously, and the plan carries it; every other action is planned as by `plan`.
   */
  async planAsync(name: string, caller: Caller, opts: PlanOptions = {}): Promise<Plan> {
    const def = this.definition(name);
    const local = def.local;
    if (!local?.evidence) return this.plan(name, caller, opts);
    this.authorize(def, caller);
    if (opts.breakGlass) throw new ActionForbiddenError('break-glass applies to flush_guardrails only');
    const params = local.params(opts.params ?? {});
    const gathered = await local.evidence(params, caller);
    return this.makePlan(def, caller, { ...params, ...gathered.params }, false, gathered.evidence);
  }

  private makePlan(
    def: ActionDefinition,
    caller: Caller,
    params: Record<string, unknown>,
    breakGlass: boolean,
    evidence: Record<string, unknown> | null
  ): Plan {
    const state = this.state(def.name, params);
    const { changes, interlocks, resolved } = this.judge(def, params, state, breakGlass);
    const now = Date.now();
    const ttl = breakGlass
      ? Math.min(this.ctx.config.actions.plan_ttl, this.ctx.config.actions.break_glass_ttl)
      : this.ctx.config.actions.plan_ttl;
    const plan: Plan = {
      id: this.ctx.events.newId(),
      action: def.name,
      params: resolved,
      state: state as unknown as Record<string, unknown>,
      fingerprint: ActionService.fingerprint(def, state),
      changes,
      interlocks,
      allowed: interlocks.every((i) => i.overridden),
      break_glass: breakGlass,
      actor: caller.actor,
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + ttl).toISOString(),
      action_id: null,
      evidence,
    };
    this.repo.insertPlan(plan);
    return plan;
  }

  private authorize(def: ActionDefinition, caller: Caller): void {
    if (RANK[caller.role] < RANK[def.access]) {
      throw new ActionForbiddenError(`${def.name} needs the ${def.access} role; the token has ${caller.role}`);
    }
  }

  static requestHash(name: string, planId: string, reason: string): string {
    return sha256(JSON.stringify([name, planId, reason]));
  }

  /**
   * Applies a plan. Returns `{ action, replayed }`; a replay of the same key and body returns the
   * action the first call created. Throws the errors of action-errors.ts.
   */
  apply(name: string, caller: Caller, opts: ApplyOptions): { action: ActionRecord; replayed: boolean } {
    const def = this.definition(name);
    this.authorize(def, caller);
    const hash = opts.requestHash ?? ActionService.requestHash(name, opts.planId, opts.reason);
    const created = this.ctx.db.transaction((): { action: ActionRecord; replayed: boolean } => {
      const seen = this.repo.idempotencyKey(caller.token, opts.idempotencyKey);
      if (seen) {
        if (seen.request_hash !== hash) {
          throw new IdempotencyMismatchError('this Idempotency-Key was used before with a different request');
        }
        return { action: this.repo.getAction(seen.action_id)!, replayed: true };
      }
      const plan = this.repo.getPlan(opts.planId);
      if (!plan) throw new PlanNotFoundError(`plan ${opts.planId} not found`);
      if (plan.action !== name) throw new PlanConflictError(`plan ${plan.id} is for ${plan.action}, not ${name}`);
      if (plan.action_id)
        throw new PlanConflictError(`plan ${plan.id} was already applied as action ${plan.action_id}`);
      if (Date.parse(plan.expires_at) <= Date.now())
        throw new PlanExpiredError(`plan ${plan.id} expired at ${plan.expires_at}`);
      if (plan.break_glass && caller.role !== 'admin')
        throw new ActionForbiddenError('a break-glass plan needs an admin to apply it');
      const state = this.state(name, plan.params);
      const fp = ActionService.fingerprint(def, state);
      if (fp !== plan.fingerprint) {
        throw new PlanStaleError(
          'the state changed since the plan was made; plan again',
          diffState(
            ActionService.stableState(def, plan.state),
            ActionService.stableState(def, state as unknown as Record<string, unknown>)
          )
        );
      }
      const { interlocks } = this.judge(def, plan.params, state, plan.break_glass);
      const blocking = interlocks.filter((i) => !i.overridden);
      if (blocking.length) throw new InterlockError(blocking);
      const now = new Date().toISOString();
      const action = this.repo.insertAction({
        id: this.ctx.events.newId(),
        action: name,
        status: 'planned',
        trigger: opts.trigger,
        plan_id: plan.id,
        params: plan.params,
        reason: opts.reason,
        actor: caller.actor,
        executor: def.executor.kind,
        expect: null,
        result: null,
        error: null,
        verification: null,
        break_glass: plan.break_glass,
        decision_id: opts.decisionId ?? null,
        incident_id: null,
        created_at: now,
        updated_at: now,
        applied_at: null,
        finished_at: null,
      });
      this.repo.markPlanUsed(plan.id, action.id);
      this.repo.insertIdempotencyKey(caller.token, opts.idempotencyKey, hash, action.id);
      if (def.cooldownMs > 0) {
        this.deps.guardrails.setCooldown(
          `action:${name}`,
          new Date(Date.now() + def.cooldownMs).toISOString(),
          action.id
        );
      }
      this.emit(action, 'action.planned', 'info', { plan_id: plan.id, changes: plan.changes });
      if (plan.break_glass) {
        this.ctx.events.append({
          source: 'actions',
          kind: 'break_glass.used',
          severity: 'warning',
          subject: action.id,
          actor: caller.actor,
          data: {
            action_id: action.id,
            action: name,
            reason: opts.reason,
            expires_at: plan.expires_at,
            overridden: interlocks.filter((i) => i.overridden),
          },
        });
      }
      this.transition(action, 'applying', {});
      return { action: this.repo.getAction(action.id)!, replayed: false };
    })();
    if (!created.replayed) this.track(this.execute(created.action, def), created.action.id);
    return created;
  }

  /** The action an earlier request with this key created, or undefined; IdempotencyMismatchError for another body. */
  replay(token: string, key: string, hash: string): ActionRecord | undefined {
    const seen = this.repo.idempotencyKey(token, key);
    if (!seen) return undefined;
    if (seen.request_hash !== hash)
      throw new IdempotencyMismatchError('this Idempotency-Key was used before with a different request');
    return this.repo.getAction(seen.action_id);
  }

  /** Plan and apply in one step (classic paths, scheduler, guardian). Throws InterlockError when refused. */
  run(
    name: string,
    caller: Caller,
    opts: {
      params?: Record<string, unknown>;
      reason: string;
      trigger: ActionTrigger;
      decisionId?: string | null;
      idempotencyKey?: string;
    }
  ): ActionRecord {
    const plan = this.plan(name, caller, { params: opts.params });
    if (!plan.allowed) throw new InterlockError(plan.interlocks.filter((i) => !i.overridden));
    return this.apply(name, caller, {
      planId: plan.id,
      reason: opts.reason,
      idempotencyKey: opts.idempotencyKey ?? `run-${plan.id}`,
      trigger: opts.trigger,
      decisionId: opts.decisionId ?? null,
    }).action;
  }

  get(id: string): ActionRecord | undefined {
    return this.repo.getAction(id);
  }

  // ---- lifecycle ----------------------------------------------------------------------------------

  private track(p: Promise<void>, id: string): void {
    const tracked = p.catch((err: unknown) => this.ctx.log.error({ err }, 'action execution failed unexpectedly'));
    this.running.add(tracked);
    this.inflight.set(id, tracked);
    void tracked.finally(() => {
      this.running.delete(tracked);
      this.inflight.delete(id);
    });
  }

  private emit(
    a: ActionRecord,
    kind: string,
    severity: 'info' | 'warning' | 'critical',
    data: Record<string, unknown>
  ): void {
    this.ctx.events.append({
      source: 'actions',
      kind,
      severity,
      subject: a.id,
      actor: a.actor,
      data: {
        action_id: a.id,
        action: a.action,
        trigger: a.trigger,
        reason: a.reason,
        ...(a.decision_id ? { decision_id: a.decision_id } : {}),
        ...data,
      },
    });
  }

  private transition(
    a: ActionRecord,
    status: ActionStatus,
    fields: Partial<ActionRecord>,
    data: Record<string, unknown> = {}
  ): void {
    const now = new Date().toISOString();
    this.repo.updateAction(a.id, { ...fields, status, updated_at: now });
    Object.assign(a, fields, { status, updated_at: now });
    const sev = status === 'failed' || status === 'timed_out' ? 'warning' : 'info';
    this.emit(a, `action.${status}`, sev, { status, ...data });
  }

  private finish(
    a: ActionRecord,
    status: ActionStatus,
    fields: Partial<ActionRecord>,
    data: Record<string, unknown> = {}
  ): void {
    const now = new Date().toISOString();
    this.transition(a, status, { ...fields, finished_at: now }, data);
    this.outcomes.inc({ action: a.action, trigger: a.trigger, outcome: status });
    const started = Date.parse(a.created_at);
    this.duration.observe({ action: a.action }, Math.max(0, (Date.parse(now) - started) / 1000));
  }

  private expectationFor(
    def: ActionDefinition,
    a: ActionRecord,
    result: ExecutionResult,
    before: string[]
  ): Expectation | null {
    const deadline = this.ctx.config.actions.verify_deadline;
    switch (def.name) {
      case 'kill':
        return { kind: 'telemetry', metric: 'state_active', op: '==', value: 0, deadline_ms: deadline };
      case 'kill_release':
        return { kind: 'telemetry', metric: 'state_active', op: '==', value: 1, deadline_ms: deadline };
      case 'retrain': {
        const g = result.data?.['generation'];
        return {
          kind: 'lineage_generation',
          generation: typeof g === 'string' ? g : null,
          known: before,
          deadline_ms: deadline,
        };
      }
      case 'canary_promote':
      case 'rollback':
        return { kind: 'lineage_active', generation: String(a.params['target']), deadline_ms: deadline };
      case 'flush_guardrails':
        return { kind: 'guardrails_clear', deadline_ms: deadline };
      default:
        return def.custom ? { kind: 'telemetry', ...def.custom } : null;
    }
  }

  private async execute(a: ActionRecord, def: ActionDefinition): Promise<void> {
    const knownBefore = this.ctx.lineage.current().generations.map((g) => g.id);
    // Start watching before the command goes out: the workload writes its effect before it replies.
    const watch = new EffectWatch(this.ctx, this.deps.guardrails, Date.now());
    this.cancels.add(watch.cancel);
    try {
      if (a.action === 'kill') this.deps.killSwitch.engage(a.actor, a.reason, { action_id: a.id });
      if ((a.action === 'canary_promote' || a.action === 'rollback') && typeof a.params['target'] === 'string') {
        this.ctx.lineage.registerIntent({
          pointer: 'active',
          generation: a.params['target'],
          actor: a.actor,
          reason: `${a.action}: ${a.reason}`,
          source: 'actions',
          expiresAt: new Date(Date.now() + this.ctx.config.actions.verify_deadline + 60_000).toISOString(),
        });
      }
      let result: ExecutionResult;
      try {
        result = await def.executor.execute({
          action: a.action,
          action_id: a.id,
          node: this.ctx.config.node,
          params: a.params,
          reason: a.reason,
          actor: a.actor,
        });
      } catch (err) {
        const message = err instanceof ExecutorError ? err.message : `executor: ${(err as Error).message}`;
        this.failWithIncident(a, 'failed', { error: message }, `${a.action} could not be delivered: ${message}`);
        return;
      }
      if (this.stopped) return;
      if (!result.ok && def.local) {
        // The sidecar's own state refused it (it changed after the plan): a refusal, not an incident.
        this.finish(a, 'failed', { error: result.message, result: { ...result } });
        return;
      }
      if (!result.ok) {
        this.failWithIncident(
          a,
          'failed',
          { error: result.message, result: { ...result } },
          `${a.action} refused by the workload: ${result.message}`
        );
        return;
      }
      if (a.action === 'kill_release') this.deps.killSwitch.release(a.actor, a.reason, { action_id: a.id });
      const expect = this.expectationFor(def, a, result, knownBefore);
      const appliedAt = new Date().toISOString();
      this.transition(
        a,
        'applied',
        { result: { ...result }, applied_at: appliedAt, expect: expect as Record<string, unknown> | null },
        { message: result.message }
      );
      if (!expect) {
        this.finish(a, 'applied', {});
        return;
      }
      const outcome = await watch.until(expect);
      if (this.stopped) return;
      this.verifications.inc({ action: a.action, result: outcome.ok ? 'verified' : 'timed_out' });
      const verification = { ...outcome, expected: expect, checked_at: new Date().toISOString() };
      if (outcome.ok) this.finish(a, 'verified', { verification });
      else {
        this.failWithIncident(
          a,
          'timed_out',
          { verification, error: `expected effect not seen within ${expect.deadline_ms} ms` },
          `${a.action} applied but its effect did not show within ${expect.deadline_ms} ms`
        );
      }
    } finally {
      watch.cancel();
      this.cancels.delete(watch.cancel);
    }
  }

  private failWithIncident(
    a: ActionRecord,
    status: 'failed' | 'timed_out',
    fields: Partial<ActionRecord>,
    title: string
  ): void {
    const incident = this.deps.incidents.open({
      rule: 'action_verification',
      severity: a.action === 'kill' ? 'critical' : 'warning',
      title,
      actor: a.actor,
      data: { action_id: a.id, action: a.action, status },
    });
    this.finish(a, status, { ...fields, incident_id: incident.id }, { incident_id: incident.id });
  }
}

/** Fields of two stable states that differ (both from stableState, so telemetry is already left out). */
function diffState(
  planned: Record<string, unknown>,
  now: Record<string, unknown>
): { field: string; planned: unknown; now: unknown }[] {
  const out: { field: string; planned: unknown; now: unknown }[] = [];
  const flat = (o: Record<string, unknown>, prefix = ''): Record<string, unknown> => {
    const r: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      if (v && typeof v === 'object' && !Array.isArray(v))
        Object.assign(r, flat(v as Record<string, unknown>, `${prefix}${k}.`));
      else r[`${prefix}${k}`] = v;
    }
    return r;
  };
  const a = flat(planned);
  const b = flat(now);
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out.push({ field: k, planned: a[k] ?? null, now: b[k] ?? null });
  }
  return out;
}

/**
 * Watches telemetry snapshots and lineage updates from a start time, so an effect the workload wrote
 * before its reply arrived is not missed; `until` resolves when the expectation holds or its deadline passes.
 */
class EffectWatch {
  private readonly seen: { ts: number; metrics: Record<string, number> }[] = [];
  private readonly unsubs: (() => void)[] = [];
  private wake: (() => void) | null = null;

  constructor(
    private readonly ctx: SidecarContext,
    private readonly guardrails: GuardrailsRepository,
    private readonly startedAt: number
  ) {
    this.unsubs.push(
      ctx.telemetry.onSnapshot((s) => {
        this.seen.push({ ts: Date.now(), metrics: s.metrics });
        if (this.seen.length > 1000) this.seen.shift();
        this.wake?.();
      })
    );
    this.unsubs.push(
      ctx.events.onAppend((batch) => {
        if (batch.some((e) => e.kind.startsWith('lineage.'))) this.wake?.();
      })
    );
  }

  readonly cancel = (): void => {
    for (const u of this.unsubs.splice(0)) u();
    this.wake?.();
  };

  private check(e: Expectation): { ok: boolean; observed: unknown } {
    switch (e.kind) {
      case 'telemetry': {
        const hit = this.seen.find(
          (s) => typeof s.metrics[e.metric] === 'number' && compare(s.metrics[e.metric]!, e.op, e.value)
        );
        if (hit) return { ok: true, observed: { [e.metric]: hit.metrics[e.metric] } };
        const latest = this.ctx.telemetryRepo.latestValue(e.metric);
        // A value already stored counts only when it was received after the action started.
        if (latest && Date.parse(latest.ts) >= this.startedAt - 1 && compare(latest.value, e.op, e.value)) {
          return { ok: true, observed: { [e.metric]: latest.value } };
        }
        return { ok: false, observed: { [e.metric]: this.seen.at(-1)?.metrics[e.metric] ?? latest?.value ?? null } };
      }
      case 'lineage_generation': {
        const ids = this.ctx.lineage.current().generations.map((g) => g.id);
        const added = e.generation
          ? ids.includes(e.generation)
            ? e.generation
            : null
          : (ids.find((id) => !e.known.includes(id)) ?? null);
        return { ok: added !== null, observed: { generation: added, generations: ids.length } };
      }
      case 'lineage_active': {
        const active = this.ctx.lineage.current().active;
        return { ok: active === e.generation, observed: { active } };
      }
      case 'guardrails_clear': {
        const n = this.guardrails.latched().length;
        return { ok: n === 0, observed: { latched: n } };
      }
    }
  }

  async until(e: Expectation): Promise<{ ok: boolean; observed: unknown; waited_ms: number }> {
    const t0 = Date.now();
    const deadline = t0 + e.deadline_ms;
    for (;;) {
      const r = this.check(e);
      if (r.ok) return { ...r, waited_ms: Date.now() - t0 };
      const left = deadline - Date.now();
      if (left <= 0 || !this.unsubs.length) return { ...r, waited_ms: Date.now() - t0 };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }
}
