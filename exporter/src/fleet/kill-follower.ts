import { z } from 'zod';
import type { KV } from '@nats-io/kv';
import type { Part, SidecarContext } from '../context';
import type { ActionService, Caller } from '../actions/action-service';
import type { ActionRecord } from '../actions/actions-repository';
import type { KillSwitch } from '../guardian/kill-switch';
import type { AuditLog } from '../audit/audit-log';
import { FLEET_KILL_KEY, type FleetKv } from './fleet-kv';
import {
  type FleetKillState,
  type FollowReport,
  type FollowStatus,
  fleetKillStateSchema,
  followReportSchema,
  selects,
} from './fleet-schemas';
import { Sleeper, backoffMs } from './sleeper';

/** Where a node keeps what it last knew of the fleet kill state (the local SQLite kv table). */
export const FLEET_KILL_LOCAL_KEY = 'fleet:kill';

const localSchema = z.object({
  revision: z.number().int(),
  state: fleetKillStateSchema.nullable(),
  report: followReportSchema.nullable(),
  /** Who engaged the local switch on the fleet's behalf, and the switch's `since` then. */
  engaged_by: z.enum(['fleet', 'fail_safe']).nullable(),
  engaged_since: z.string().nullable(),
});
type LocalState = z.infer<typeof localSchema>;

const empty = (): LocalState => ({ revision: 0, state: null, report: null, engaged_by: null, engaged_since: null });
const FINAL = new Set(['verified', 'applied', 'failed', 'timed_out']);

export interface KillFollowerDeps {
  kv: FleetKv;
  actions: ActionService;
  killSwitch: KillSwitch;
  audit: AuditLog;
  /** Called whenever the report or readability changes (the membership record is rewritten). */
  changed: () => void;
  hooks: { followed(status: FollowStatus): void; error(op: string): void };
}

/**
 * Makes this node's kill switch follow the fleet kill state (state bucket, key `kill`) through the
 * ordinary kill and kill_release actions, so each runs its executor and is verified as if an operator
 * had asked, and reports what it did in the membership record.
 *
 * - Reads by watching the key, and by reading it every heartbeat (a watch that broke is not trusted).
 * - Cannot read it: keeps its last known state — the local switch is persisted and nothing changes it;
 *   readability is reported (`lookout_fleet_state_readable`).
 * - `fleet.fail_safe` and the state unreadable for `fleet.startup_read_timeout_ms` at start-up: engages.
 *   That engagement is released once the state is read and does not ask this node to be stopped.
 * - A fleet release releases only an engagement the fleet (or the fail-safe) made: a switch engaged
 *   locally since (guardian, an operator) stays engaged and is reported `held_locally`.
 * - Every command it follows is audited here, naming the hub's actor.
 */
export class KillFollower implements Part {
  readonly name = 'fleet-kill';
  private local: LocalState;
  private readable = false;
  private running = false;
  private pending: { revision: number; state: FleetKillState | null } | null = null;
  private worker: Promise<void> | null = null;
  private poller: NodeJS.Timeout | null = null;
  private watching: Promise<void> | null = null;
  private stopWatch: (() => void) | null = null;
  private readonly cancels = new Set<() => void>();
  private readonly sleeper = new Sleeper();

  constructor(
    private readonly ctx: SidecarContext,
    private readonly deps: KillFollowerDeps
  ) {
    this.local = this.load();
  }

  /** What the membership record carries. */
  status(): { report: FollowReport | null; readable: boolean; byFleet: boolean } {
    const since = this.deps.killSwitch.state().since;
    return {
      report: this.local.report,
      readable: this.readable,
      byFleet: this.local.engaged_by !== null && since !== null && since === this.local.engaged_since,
    };
  }

  /** The fleet kill state as last known here, and whether it selects this node. */
  known(): { revision: number; state: FleetKillState | null; engagedForMe: boolean } {
    const s = this.local.state;
    return { revision: this.local.revision, state: s, engagedForMe: !!s?.engaged && this.selectsMe(s) };
  }

  isReadable(): boolean {
    return this.readable;
  }

  async start(): Promise<void> {
    this.running = true;
    const f = this.ctx.config.fleet;
    if (f.fail_safe && f.follow_kill) {
      const read = await this.readWithin(f.startup_read_timeout_ms);
      if (!read) this.engageFailSafe();
    }
    this.watching = this.watchLoop();
    this.poller = setInterval(() => void this.readOnce(), f.heartbeat_interval_ms);
    this.poller.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    this.stopWatch?.();
    this.sleeper.wake();
    for (const c of [...this.cancels]) c();
    await this.watching;
    await this.worker;
  }

  private load(): LocalState {
    try {
      const raw = this.ctx.kv.get<unknown>(FLEET_KILL_LOCAL_KEY);
      const r = localSchema.safeParse(raw);
      return r.success ? r.data : empty();
    } catch {
      // An unreadable row changes nothing: the kill switch keeps its own (fail-safe) state.
      return empty();
    }
  }

  private save(): void {
    this.ctx.kv.set(FLEET_KILL_LOCAL_KEY, this.local);
  }

  private selectsMe(s: FleetKillState): boolean {
    return selects(s.selector, { node: this.ctx.config.node, labels: this.ctx.config.fleet.labels });
  }

  private setReadable(v: boolean): void {
    if (this.readable === v) return;
    this.readable = v;
    this.deps.changed();
  }

  private async readWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (this.running && Date.now() < deadline) {
      if (await this.readOnce()) return true;
      await new Promise((r) => setTimeout(r, Math.min(200, Math.max(1, deadline - Date.now()))));
    }
    return false;
  }

  /** One read of the key; true when it could be read (present or not). */
  private async readOnce(): Promise<boolean> {
    let kv: KV;
    try {
      kv = await this.deps.kv.bucket('state');
      const e = await kv.get(FLEET_KILL_KEY);
      this.setReadable(true);
      if (!e || e.operation !== 'PUT') this.offer(e?.revision ?? 0, null);
      else this.offerRaw(e.revision, e.json());
      return true;
    } catch {
      this.deps.hooks.error('state_read');
      this.setReadable(false);
      return false;
    }
  }

  private async watchLoop(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const kv = await this.deps.kv.bucket('state');
        const it = await kv.watch({ key: FLEET_KILL_KEY });
        this.stopWatch = () => it.stop();
        // A stop that came while the watch was being set up found nothing to end: end it here.
        if (!this.running) it.stop();
        failures = 0;
        for await (const e of it) {
          this.setReadable(true);
          if (e.operation === 'PUT') this.offerRaw(e.revision, e.json());
          else this.offer(e.revision, null);
        }
      } catch {
        this.deps.hooks.error('state_watch');
      }
      this.stopWatch = null;
      if (!this.running) break;
      // The watch ended (a lost connection, a server gone): the poll keeps reading meanwhile.
      await this.sleeper.sleep(backoffMs(++failures));
    }
  }

  private offerRaw(revision: number, value: unknown): void {
    const r = fleetKillStateSchema.safeParse(value);
    if (!r.success) {
      // A value this build cannot read changes nothing here: the last known state stays.
      this.deps.hooks.error('state_invalid');
      this.ctx.log.warn({ revision }, 'the fleet kill state does not match its schema: keeping the last known state');
      return;
    }
    this.offer(revision, r.data);
  }

  private offer(revision: number, state: FleetKillState | null): void {
    if (revision <= this.local.revision && !(revision === 0 && this.local.engaged_by === 'fail_safe')) return;
    if (this.pending && this.pending.revision >= revision) return;
    this.pending = { revision, state };
    if (!this.worker) {
      this.worker = this.work().finally(() => {
        this.worker = null;
      });
    }
  }

  private async work(): Promise<void> {
    while (this.pending && this.running) {
      const next = this.pending;
      this.pending = null;
      try {
        await this.follow(next.revision, next.state);
      } catch (err) {
        this.deps.hooks.error('follow');
        this.ctx.log.error({ err, revision: next.revision }, 'could not follow the fleet kill state');
      }
    }
  }

  private report(
    revision: number,
    state: FleetKillState,
    status: FollowStatus,
    fields: Partial<FollowReport> = {}
  ): void {
    this.local.report = {
      revision,
      engaged: state.engaged,
      selected: status !== 'not_selected' && status !== 'not_following',
      status,
      action_id: null,
      error: null,
      at: new Date().toISOString(),
      ...fields,
    };
    this.save();
    this.deps.hooks.followed(status);
    this.deps.changed();
  }

  private async follow(revision: number, state: FleetKillState | null): Promise<void> {
    const f = this.ctx.config.fleet;
    // Recorded before acting, so the kill_release interlock and a restart see what the fleet asks now.
    this.local.revision = revision;
    this.local.state = state;
    this.save();
    const failSafe = this.local.engaged_by === 'fail_safe';
    if (!state) {
      if (failSafe) await this.releaseFailSafe('the fleet kill state was read: there is none');
      return;
    }
    if (!f.follow_kill) return this.report(revision, state, 'not_following');
    if (!this.selectsMe(state)) {
      this.report(revision, state, 'not_selected');
      if (failSafe) await this.releaseFailSafe('the fleet kill state was read: it does not select this node');
      return;
    }
    const local = this.deps.killSwitch.state();
    const caller: Caller = { actor: state.actor, token: 'fleet', role: 'admin' };
    if (state.engaged) {
      if (local.engaged) {
        // Already stopped: the fleet takes over the engagement (a later fleet release may end it).
        if (failSafe || this.local.engaged_by === null) this.markEngaged(local.since, failSafe ? 'fleet' : null);
        this.report(revision, state, 'unchanged');
        this.audit(state, revision, 'kill', 200, 'unchanged: already engaged');
        return;
      }
      await this.run('kill', caller, revision, state);
      return;
    }
    if (!local.engaged) {
      this.report(revision, state, 'unchanged');
      this.audit(state, revision, 'kill_release', 200, 'unchanged: not engaged');
      return;
    }
    if (this.local.engaged_by && local.since === this.local.engaged_since) {
      await this.run('kill_release', caller, revision, state);
      return;
    }
    this.report(revision, state, 'held_locally', {
      error: `engaged locally by ${local.actor ?? 'unknown'}: ${local.reason ?? ''}`.trim(),
    });
    this.audit(state, revision, 'kill_release', 409, `held_locally: engaged by ${local.actor ?? 'unknown'}`);
  }

  private markEngaged(since: string | null, by: 'fleet' | 'fail_safe' | null): void {
    this.local.engaged_by = by;
    this.local.engaged_since = by ? since : null;
    this.save();
  }

  private async run(
    name: 'kill' | 'kill_release',
    caller: Caller,
    revision: number,
    state: FleetKillState
  ): Promise<void> {
    let action: ActionRecord;
    const reason = `fleet (${state.hub}, revision ${revision}): ${state.reason}`;
    try {
      action = this.deps.actions.run(name, caller, { reason, trigger: 'fleet', idempotencyKey: `fleet-${revision}` });
    } catch (err) {
      if (name === 'kill') {
        // A refused kill action (cooldown, ...) must not leave the workload running: engage, then report.
        this.deps.killSwitch.engage(caller.actor, reason, { fleet_revision: revision, kill_action_error: String(err) });
        this.markEngaged(this.deps.killSwitch.state().since, 'fleet');
      }
      this.report(revision, state, 'failed', { error: (err as Error).message });
      this.audit(state, revision, name, 409, `refused: ${(err as Error).message}`);
      return;
    }
    if (name === 'kill') this.markEngaged(this.deps.killSwitch.state().since, 'fleet');
    this.report(revision, state, 'applying', { action_id: action.id });
    this.audit(state, revision, name, 202, `action ${action.id} applying`);
    const done = await this.settled(action.id);
    if (name === 'kill_release' && !this.deps.killSwitch.state().engaged) this.markEngaged(null, null);
    this.report(revision, state, (done?.status ?? 'failed') as FollowStatus, {
      action_id: action.id,
      error: done?.error ?? (done ? null : 'the sidecar stopped before the action finished'),
    });
  }

  /** Resolves with the action once it is final (verified, applied without a check, failed, timed out). */
  private async settled(id: string): Promise<ActionRecord | null> {
    return new Promise((resolve) => {
      const check = (): boolean => {
        const a = this.deps.actions.get(id);
        if (a && FINAL.has(a.status) && a.finished_at) {
          finish(a);
          return true;
        }
        return false;
      };
      const unsubscribe = this.ctx.events.onAppend((batch) => {
        if (batch.some((e) => e.subject === id)) check();
      });
      const poll = setInterval(check, 1000);
      const finish = (a: ActionRecord | null): void => {
        unsubscribe();
        clearInterval(poll);
        this.cancels.delete(cancel);
        resolve(a);
      };
      const cancel = (): void => finish(null);
      this.cancels.add(cancel);
      check();
    });
  }

  private engageFailSafe(): void {
    const local = this.deps.killSwitch.state();
    if (local.engaged) return;
    const reason = `fail-safe: the fleet kill state could not be read within ${this.ctx.config.fleet.startup_read_timeout_ms} ms of start-up`;
    const caller: Caller = { actor: 'fleet:fail_safe', token: 'fleet', role: 'admin' };
    try {
      this.deps.actions.run('kill', caller, { reason, trigger: 'fleet' });
    } catch (err) {
      this.deps.killSwitch.engage(caller.actor, reason, { kill_action_error: (err as Error).message });
    }
    this.markEngaged(this.deps.killSwitch.state().since, 'fail_safe');
    this.ctx.log.warn({ reason }, 'fail-safe: kill switch engaged until the fleet kill state can be read');
  }

  private async releaseFailSafe(why: string): Promise<void> {
    const local = this.deps.killSwitch.state();
    if (!local.engaged || local.since !== this.local.engaged_since) {
      // Someone engaged it again since: not the fail-safe's to release.
      this.markEngaged(null, null);
      return;
    }
    const caller: Caller = { actor: 'fleet:fail_safe', token: 'fleet', role: 'admin' };
    try {
      const a = this.deps.actions.run('kill_release', caller, { reason: `fail-safe over: ${why}`, trigger: 'fleet' });
      await this.settled(a.id);
    } catch (err) {
      this.deps.hooks.error('fail_safe_release');
      this.ctx.log.warn({ err }, 'could not release the fail-safe kill switch');
      return;
    }
    if (!this.deps.killSwitch.state().engaged) this.markEngaged(null, null);
  }

  private audit(
    state: FleetKillState,
    revision: number,
    action: 'kill' | 'kill_release',
    status: number,
    result: string
  ): void {
    this.deps.audit.record({
      ts: new Date().toISOString(),
      actor: state.actor,
      token: 'fleet',
      token_role: null,
      grafana_user: state.actor.startsWith('grafana:') ? state.actor.slice('grafana:'.length) : null,
      grafana_org_id: null,
      grafana_org_role: null,
      role: state.role,
      method: 'KV',
      path: `${this.ctx.config.fleet.state_bucket}/${FLEET_KILL_KEY}@${revision}`,
      route: 'fleet',
      action: action === 'kill' ? 'fleet.kill' : 'fleet.kill_release',
      reason: state.reason,
      status,
      result: `${result} (hub ${state.hub})`,
      request_id: state.plan_id,
    });
  }
}
