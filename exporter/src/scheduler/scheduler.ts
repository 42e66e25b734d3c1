import crypto from 'node:crypto';
import { z } from 'zod';
import type { Part, SidecarContext } from '../context';
import type { Counter } from '../metrics/metrics-registry';
import type { ActionService } from '../actions/action-service';
import { InterlockError } from '../actions/action-errors';
import type { KillSwitch } from '../guardian/kill-switch';
import type { IncidentService } from '../guardian/incident-service';
import { parseCron, nextCronTime, type CronSchedule } from './cron';
import { type Decision, type DecisionVerdict, DecisionsRepository } from './decisions-repository';
import { type LeaderLease, LocalLease } from './leader-lease';
import type { SchedulerPolicy } from './scheduler-config';
import { logPartFailure } from '../store/store-health';

export const PAUSE_KEY = 'scheduler:paused';
const POLICY_KEY = (name: string): string => `scheduler:policy:${name}`;

const pauseSchema = z.object({
  paused: z.boolean(),
  actor: z.string().nullable(),
  reason: z.string().nullable(),
  since: z.string().nullable(),
});
export type PauseState = z.infer<typeof pauseSchema>;

const policyStateSchema = z.object({
  last_action_at: z.string().nullable().default(null),
  canary: z.string().nullable().default(null),
  streak: z.number().int().default(0),
});
type PolicyState = z.infer<typeof policyStateSchema>;

export interface SchedulerDeps {
  actions: ActionService;
  killSwitch: KillSwitch;
  incidents: IncidentService;
  lease?: LeaderLease;
}

interface Judgement {
  verdict: 'act' | 'hold' | 'inconclusive';
  reason: string;
  inputs: Record<string, unknown>;
  thresholds: Record<string, unknown>;
}

export const policyVersion = (p: SchedulerPolicy): string =>
  crypto.createHash('sha256').update(JSON.stringify(p)).digest('hex').slice(0, 12);

/**
 * Turns policies into decisions and decisions into actions. Every decision that acts, is blocked or
 * cannot judge is stored with its why; a quiet "hold" only when the policy's verdict changed.
 */
export class Scheduler implements Part {
  readonly name = 'scheduler';
  readonly decisions: DecisionsRepository;
  readonly lease: LeaderLease;
  private timer: NodeJS.Timeout | null = null;
  private policies: SchedulerPolicy[];
  private readonly crons = new Map<string, CronSchedule>();
  private lastCheck = Date.now();
  private readonly lastVerdict = new Map<string, string>();
  private readonly decided: Counter<'policy' | 'verdict'>;
  private readonly inconclusive: Counter<'reason'>;

  constructor(
    private readonly ctx: SidecarContext,
    private readonly deps: SchedulerDeps
  ) {
    this.decisions = new DecisionsRepository(ctx.db);
    this.lease = deps.lease ?? new LocalLease();
    this.policies = ctx.config.scheduler.policies;
    for (const p of this.policies) if (p.type === 'cron') this.crons.set(p.name, parseCron(p.cron));
    const paused = (): number => (this.pauseState().paused ? 1 : 0);
    ctx.metrics.gauge({
      name: 'lookout_scheduler_paused',
      help: '1 while the scheduler is paused, else 0',
      collect() {
        this.set(paused());
      },
    });
    this.decided = ctx.metrics.counter({
      name: 'lookout_decisions_total',
      help: 'Scheduler policy evaluations, by policy and verdict (act, hold, blocked, inconclusive)',
      labelNames: ['policy', 'verdict'] as const,
    });
    this.inconclusive = ctx.metrics.counter({
      name: 'lookout_decisions_inconclusive_total',
      help: 'Decisions that could not be judged, by reason (no_data, stale_data, no_canary, ...)',
      labelNames: ['reason'] as const,
    });
    ctx.status.section('scheduler', () => {
      const p = this.pauseState();
      return {
        paused: p.paused,
        actor: p.actor,
        reason: p.reason,
        since: p.since,
        leader: this.lease.isLeader(),
        policies: this.policies.length,
      };
    });
  }

  async start(): Promise<void> {
    await this.lease.start();
    this.lastCheck = Date.now();
    if (!this.ctx.config.scheduler.enabled) return;
    this.timer = setInterval(() => {
      try {
        this.tick();
      } catch (err) {
        logPartFailure(this.ctx.log, err, 'scheduler tick failed');
      }
    }, this.ctx.config.scheduler.tick_ms);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.lease.stop();
  }

  setPolicies(policies: SchedulerPolicy[]): void {
    this.policies = policies;
    this.crons.clear();
    for (const p of policies) if (p.type === 'cron') this.crons.set(p.name, parseCron(p.cron));
  }

  // ---- pause --------------------------------------------------------------------------------------

  pauseState(): PauseState {
    try {
      const raw = this.ctx.kv.getRaw(PAUSE_KEY);
      if (raw === undefined) return { paused: false, actor: null, reason: null, since: null };
      const r = pauseSchema.safeParse(JSON.parse(raw));
      // Unreadable pause state: pausing is the safe reading, as with the kill switch.
      return r.success ? r.data : { paused: true, actor: null, reason: 'pause state unreadable', since: null };
    } catch {
      return { paused: true, actor: null, reason: 'pause state unreadable', since: null };
    }
  }

  isPaused(): boolean {
    return this.pauseState().paused;
  }

  pause(actor: string, reason: string, data: Record<string, unknown> = {}): boolean {
    return this.setPaused(true, actor, reason, data);
  }

  resume(actor: string, reason: string, data: Record<string, unknown> = {}): boolean {
    return this.setPaused(false, actor, reason, data);
  }

  private setPaused(paused: boolean, actor: string, reason: string, data: Record<string, unknown>): boolean {
    const cur = this.pauseState();
    if (cur.paused === paused && cur.reason !== 'pause state unreadable') return false;
    const next = { paused, actor, reason, since: new Date().toISOString() };
    this.ctx.db.transaction(() => {
      this.ctx.kv.set(PAUSE_KEY, next);
      this.ctx.events.append({
        source: 'scheduler',
        kind: paused ? 'scheduler.paused' : 'scheduler.resumed',
        severity: paused ? 'warning' : 'info',
        subject: 'scheduler',
        actor,
        data: { ...data, actor, reason },
      });
    })();
    return true;
  }

  // ---- decisions ----------------------------------------------------------------------------------

  private policyState(name: string): PolicyState {
    try {
      const raw = this.ctx.kv.getRaw(POLICY_KEY(name));
      const r = policyStateSchema.safeParse(raw === undefined ? {} : JSON.parse(raw));
      return r.success ? r.data : policyStateSchema.parse({});
    } catch {
      return policyStateSchema.parse({});
    }
  }

  private savePolicyState(name: string, s: PolicyState): void {
    this.ctx.kv.set(POLICY_KEY(name), s);
  }

  /** Evaluates every policy once; returns the decisions stored (tests call this directly). */
  tick(now = Date.now()): Decision[] {
    const out: Decision[] = [];
    const from = this.lastCheck;
    this.lastCheck = now;
    for (const p of this.policies) {
      let j: Judgement;
      const st = this.policyState(p.name);
      try {
        j = this.judge(p, st, from, now);
      } catch (err) {
        j = { verdict: 'inconclusive', reason: `error: ${(err as Error).message}`, inputs: {}, thresholds: {} };
      }
      const d = this.decide(p, st, j, now);
      if (d) out.push(d);
    }
    return out;
  }

  private judge(p: SchedulerPolicy, st: PolicyState, from: number, now: number): Judgement {
    switch (p.type) {
      case 'interval': {
        const last = st.last_action_at ? Date.parse(st.last_action_at) : null;
        if (last === null) {
          // The first interval counts from when the policy was first seen, not from the epoch.
          this.savePolicyState(p.name, { ...st, last_action_at: new Date(now).toISOString() });
          return {
            verdict: 'hold',
            reason: 'first interval started',
            inputs: { last_action_at: null },
            thresholds: { every_ms: p.every },
          };
        }
        const due = now - last >= p.every;
        return {
          verdict: due ? 'act' : 'hold',
          reason: due ? 'interval elapsed' : 'interval not yet elapsed',
          inputs: { last_action_at: st.last_action_at },
          thresholds: { every_ms: p.every },
        };
      }
      case 'cron': {
        const next = nextCronTime(this.crons.get(p.name)!, new Date(from));
        const due = next !== null && next.getTime() <= now;
        return {
          verdict: due ? 'act' : 'hold',
          reason: due ? `cron ${p.cron} matched ${next!.toISOString()}` : 'no cron time since the last tick',
          inputs: { checked_from: new Date(from).toISOString(), next: next?.toISOString() ?? null },
          thresholds: { cron: p.cron },
        };
      }
      case 'drift': {
        const since = new Date(now - p.for - p.stale_after).toISOString();
        const samples = this.ctx.telemetryRepo.samples(p.metric, since);
        const latest = samples.at(-1);
        const thresholds = { metric: p.metric, threshold: p.threshold, for_ms: p.for };
        if (!latest) return { verdict: 'inconclusive', reason: 'no_data', inputs: { samples: 0 }, thresholds };
        if (now - Date.parse(latest.ts) > p.stale_after)
          return { verdict: 'inconclusive', reason: 'stale_data', inputs: { latest }, thresholds };
        if (!(latest.value > p.threshold))
          return { verdict: 'hold', reason: 'drift below threshold', inputs: { value: latest.value }, thresholds };
        let heldSince = latest.ts;
        for (let i = samples.length - 1; i >= 0 && samples[i]!.value > p.threshold; i--) heldSince = samples[i]!.ts;
        const held = now - Date.parse(heldSince);
        const act = held >= p.for;
        return {
          verdict: act ? 'act' : 'hold',
          reason: act
            ? `drift above ${p.threshold} for ${Math.round(held / 1000)}s`
            : 'drift above threshold, not yet for long enough',
          inputs: { value: latest.value, above_since: heldSince, held_ms: held, samples: samples.length },
          thresholds,
        };
      }
      case 'canary': {
        const lineage = this.ctx.lineage.current();
        const canary = lineage.generations.find((g) => g.id === lineage.canary);
        const active = lineage.generations.find((g) => g.id === lineage.active);
        const thresholds = { kpis: p.kpis, evaluations: p.evaluations };
        if (!canary || !active) {
          if (st.streak || st.canary) this.savePolicyState(p.name, { ...st, canary: null, streak: 0 });
          return {
            verdict: 'inconclusive',
            reason: canary ? 'no_active' : 'no_canary',
            inputs: { canary: lineage.canary, active: lineage.active },
            thresholds,
          };
        }
        const compared = p.kpis.map((k) => {
          const c = canary.kpis[k.name];
          const a = active.kpis[k.name];
          const better = typeof c === 'number' && typeof a === 'number' && (k.higher_is_better ? c > a : c < a);
          return { kpi: k.name, canary: c ?? null, active: a ?? null, better };
        });
        if (compared.some((c) => c.canary === null || c.active === null)) {
          return {
            verdict: 'inconclusive',
            reason: 'no_data',
            inputs: { canary: canary.id, active: active.id, compared },
            thresholds,
          };
        }
        const better = compared.every((c) => c.better);
        const streak = better ? (st.canary === canary.id ? st.streak : 0) + 1 : 0;
        this.savePolicyState(p.name, { ...st, canary: canary.id, streak });
        const act = streak >= p.evaluations;
        return {
          verdict: act ? 'act' : 'hold',
          reason: act
            ? `canary beat active ${streak} evaluations in a row`
            : better
              ? `canary better (${streak}/${p.evaluations})`
              : 'canary not better than active',
          inputs: { canary: canary.id, active: active.id, compared, streak },
          thresholds,
        };
      }
      case 'halt': {
        const open = this.deps.incidents.repo.query({
          status: ['open', 'acknowledged'],
          severity: p.severity,
          limit: 10,
        });
        const thresholds = { severity: p.severity };
        if (!open.length)
          return { verdict: 'hold', reason: `no open ${p.severity} incident`, inputs: { open: 0 }, thresholds };
        if (this.deps.killSwitch.isEngaged())
          return {
            verdict: 'hold',
            reason: 'already halted: the kill switch is engaged',
            inputs: { open: open.length },
            thresholds,
          };
        return {
          verdict: 'act',
          reason: `${open.length} open ${p.severity} incident(s)`,
          inputs: { open: open.length, incidents: open.map((i) => i.id) },
          thresholds,
        };
      }
    }
  }

  private decide(p: SchedulerPolicy, st: PolicyState, j: Judgement, now: number): Decision | null {
    let verdict: DecisionVerdict = j.verdict;
    let reason = j.reason;
    const gates: Record<string, unknown> = {};
    if (verdict === 'act') {
      const killed = this.deps.killSwitch.isEngaged();
      const paused = this.isPaused();
      const leader = this.lease.isLeader();
      Object.assign(gates, { kill_switch: killed, paused, leader });
      const lastAt = st.last_action_at ? Date.parse(st.last_action_at) : null;
      if (!leader) [verdict, reason] = ['blocked', 'not_leader: another node holds the scheduler lease'];
      else if (killed && p.type !== 'halt')
        [verdict, reason] = ['blocked', 'kill_switch: no scheduled action while the kill switch is engaged'];
      else if (paused && p.type !== 'halt') [verdict, reason] = ['blocked', 'paused: the scheduler is paused'];
      else if (p.cooldown > 0 && p.type !== 'interval' && lastAt !== null && now - lastAt < p.cooldown) {
        [verdict, reason] = ['blocked', `cooldown: last action ${Math.round((now - lastAt) / 1000)}s ago`];
      }
    }
    this.decided.inc({ policy: p.name, verdict });
    if (verdict === 'inconclusive') this.inconclusive.inc({ reason: reason.split(':')[0]!.slice(0, 32) });
    const key = `${verdict}:${reason}`;
    const changed = this.lastVerdict.get(p.name) !== key;
    this.lastVerdict.set(p.name, key);
    if (verdict !== 'act' && !changed) return null;
    const decision = this.decisions.insert({
      id: this.ctx.events.newId(),
      ts: new Date(now).toISOString(),
      policy: p.name,
      policy_type: p.type,
      rule_version: policyVersion(p),
      verdict,
      reason,
      action: verdict === 'act' || verdict === 'blocked' ? p.action : null,
      action_id: null,
      inputs: { ...j.inputs, ...(Object.keys(gates).length ? { gates } : {}) },
      thresholds: j.thresholds,
    });
    let actionId: string | null = null;
    let error: string | null = null;
    if (verdict === 'act') {
      try {
        const a = this.deps.actions.run(
          p.action,
          { actor: `scheduler/${p.name}`, token: 'scheduler', role: 'admin' },
          { params: p.params, reason: `policy ${p.name}: ${reason}`, trigger: 'scheduler', decisionId: decision.id }
        );
        actionId = a.id;
        this.decisions.setAction(decision.id, a.id);
        this.savePolicyState(p.name, {
          ...this.policyState(p.name),
          last_action_at: new Date(now).toISOString(),
          streak: 0,
        });
      } catch (err) {
        error =
          err instanceof InterlockError
            ? `interlock: ${err.interlocks.map((i) => i.code).join(', ')}`
            : (err as Error).message;
      }
    }
    this.ctx.events.append({
      source: 'scheduler',
      kind: 'decision.made',
      severity: verdict === 'act' ? 'info' : verdict === 'blocked' || verdict === 'inconclusive' ? 'warning' : 'debug',
      subject: p.name,
      data: {
        decision_id: decision.id,
        policy: p.name,
        verdict,
        reason,
        action: decision.action,
        action_id: actionId,
        ...(error ? { error } : {}),
      },
    });
    return { ...decision, action_id: actionId };
  }
}
