import crypto from 'node:crypto';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { SidecarContext } from '../context';
import type { Caller } from '../actions/action-service';
import { prepareCached } from '../store/database';
import { FLEET_KILL_KEY, type FleetKv, encodeValue } from './fleet-kv';
import {
  FleetForbiddenError,
  FleetIdempotencyMismatchError,
  FleetPlanConflictError,
  FleetPlanExpiredError,
  FleetPlanNotFoundError,
  FleetPlanStaleError,
  FleetUnavailableError,
} from './fleet-errors';
import { type FleetKillState, type Selector, normalizeSelector, selects } from './fleet-schemas';
import type { FleetView, NodeState } from './fleet-view';

export const FLEET_ACTIONS = ['kill', 'kill_release'] as const;
export type FleetAction = (typeof FLEET_ACTIONS)[number];

/** One node in a fleet plan: what it is now and what the plan would make of it. */
export interface FleetPlanNode {
  node: string;
  state: NodeState;
  labels: Record<string, string>;
  selected: boolean;
  from: { engaged: boolean };
  to: { engaged: boolean };
  change: boolean;
  note: string | null;
}

export interface FleetPlan {
  plan_id: string;
  action: FleetAction;
  selector: Selector | null;
  /** The revision of the fleet kill state the plan is bound to (0: none written yet). */
  revision: number;
  current: FleetKillState | null;
  nodes: FleetPlanNode[];
  interlocks: { code: string; message: string }[];
  allowed: boolean;
  actor: string;
  created_at: string;
  expires_at: string;
}

export interface FleetApplied {
  plan_id: string;
  action: FleetAction;
  revision: number;
  state: FleetKillState;
  nodes: FleetPlanNode[];
  applied_at: string;
}

interface PlanRow {
  id: string;
  action: FleetAction;
  selector: string;
  revision: number;
  nodes: string;
  actor: string;
  created_at: string;
  expires_at: string;
  applied_revision: number | null;
  applied_at: string | null;
  reason: string | null;
}

const sha256 = (s: string): string => crypto.createHash('sha256').update(s).digest('hex');

/**
 * Fleet kill and release on the hub: plan (the per-node diff, bound to the fleet state's revision) →
 * apply (reason, Idempotency-Key): one compare-and-set write of the fleet kill key. The nodes follow it
 * on their own and report their verified state in membership (GET /api/v1/fleet). Kill needs operator,
 * release admin — the same as the node's own kill and kill_release.
 */
export class FleetActions {
  constructor(
    private readonly ctx: SidecarContext,
    private readonly deps: { kv: FleetKv; view: FleetView }
  ) {}

  private authorize(action: FleetAction, caller: Caller): void {
    const need = action === 'kill_release' ? 'admin' : 'operator';
    const ok = caller.role === 'admin' || (need === 'operator' && caller.role === 'operator');
    if (!ok) throw new FleetForbiddenError(`fleet ${action} needs the ${need} role; the caller has ${caller.role}`);
  }

  async plan(action: FleetAction, caller: Caller, selectorIn: Selector | undefined): Promise<FleetPlan> {
    this.authorize(action, caller);
    const selector = normalizeSelector(selectorIn);
    const { revision, state } = await this.deps.view.kill();
    const engage = action === 'kill';
    const nodes: FleetPlanNode[] = this.deps.view
      .nodes()
      .filter((n) => n.state !== 'gone')
      .map((n) => {
        const follows = n.record.follow_kill;
        const selected = follows && selects(selector, { node: n.node, labels: n.record.labels });
        const from = n.record.kill.engaged;
        // A fleet release ends only an engagement the fleet made: a node stopped locally stays stopped.
        const to = selected ? (engage ? true : from && !n.record.kill_by_fleet) : from;
        let note: string | null = null;
        if (!follows) note = 'does not follow the fleet kill switch (fleet.follow_kill is off)';
        else if (selected && n.state !== 'up') note = `${n.state}: follows the fleet state when it is back`;
        else if (selected && !engage && from && !n.record.kill_by_fleet)
          note = `engaged locally by ${n.record.kill.actor ?? 'unknown'}, not by the fleet: a fleet release leaves it engaged`;
        return {
          node: n.node,
          state: n.state,
          labels: n.record.labels,
          selected,
          from: { engaged: from },
          to: { engaged: to },
          change: selected && from !== to,
          note,
        };
      });
    const interlocks: { code: string; message: string }[] = [];
    if (!nodes.some((n) => n.selected)) {
      interlocks.push({
        code: 'no_nodes_selected',
        message: 'the selector matches no node that follows the fleet kill switch',
      });
    }
    const now = Date.now();
    const plan: FleetPlan = {
      plan_id: this.ctx.events.newId(),
      action,
      selector,
      revision,
      current: state,
      nodes,
      interlocks,
      allowed: interlocks.length === 0,
      actor: caller.actor,
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + this.ctx.config.actions.plan_ttl).toISOString(),
    };
    prepareCached(
      this.ctx.db,
      `INSERT INTO fleet_plans (id, action, selector, revision, nodes, actor, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
    ).run(
      plan.plan_id,
      action,
      JSON.stringify(selector),
      revision,
      JSON.stringify(nodes),
      caller.actor,
      plan.created_at,
      plan.expires_at
    );
    return plan;
  }

  static requestHash(action: string, planId: string, reason: string): string {
    return sha256(JSON.stringify(['fleet', action, planId, reason]));
  }

  /** Applies a plan: `{ applied, replayed }`. Throws the errors of fleet-errors.ts. */
  async apply(
    action: FleetAction,
    caller: Caller,
    opts: { planId: string; reason: string; idempotencyKey: string }
  ): Promise<{ applied: FleetApplied; replayed: boolean }> {
    this.authorize(action, caller);
    const hash = FleetActions.requestHash(action, opts.planId, opts.reason);
    const seen = prepareCached(
      this.ctx.db,
      'SELECT request_hash, plan_id FROM fleet_idempotency WHERE owner = ? AND key = ?'
    ).get(caller.token, opts.idempotencyKey) as { request_hash: string; plan_id: string } | undefined;
    if (seen) {
      if (seen.request_hash !== hash) {
        throw new FleetIdempotencyMismatchError('this Idempotency-Key was used before with a different request');
      }
      const row = this.row(seen.plan_id)!;
      return { applied: this.appliedView(row, caller), replayed: true };
    }
    const row = this.row(opts.planId);
    if (!row) throw new FleetPlanNotFoundError(`fleet plan ${opts.planId} not found`);
    if (row.action !== action)
      throw new FleetPlanConflictError(`fleet plan ${row.id} is for ${row.action}, not ${action}`);
    if (row.applied_revision !== null) {
      throw new FleetPlanConflictError(`fleet plan ${row.id} was already applied (revision ${row.applied_revision})`);
    }
    if (Date.parse(row.expires_at) <= Date.now())
      throw new FleetPlanExpiredError(`fleet plan ${row.id} expired at ${row.expires_at}`);
    const nodes = JSON.parse(row.nodes) as FleetPlanNode[];
    if (!nodes.some((n) => n.selected)) {
      throw new FleetPlanConflictError('the plan selects no node that follows the fleet kill switch');
    }
    const state: FleetKillState = {
      engaged: action === 'kill',
      selector: JSON.parse(row.selector) as Selector | null,
      actor: caller.actor,
      role: caller.role,
      reason: opts.reason,
      plan_id: row.id,
      hub: this.ctx.config.node,
      updated_at: new Date().toISOString(),
    };
    const kv = await this.deps.kv.bucket('state');
    let revision: number;
    try {
      revision =
        row.revision === 0
          ? await kv.create(FLEET_KILL_KEY, encodeValue(state))
          : await kv.update(FLEET_KILL_KEY, encodeValue(state), row.revision);
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence) {
        const now = await this.deps.view.kill().catch(() => ({ revision: -1 }));
        throw new FleetPlanStaleError(
          `the fleet kill state changed since the plan was made (revision ${row.revision} → ${now.revision}); plan again`,
          row.revision,
          now.revision
        );
      }
      throw new FleetUnavailableError(`the fleet kill state could not be written: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const appliedAt = new Date().toISOString();
    this.ctx.db.transaction(() => {
      prepareCached(
        this.ctx.db,
        'UPDATE fleet_plans SET applied_revision = ?, applied_at = ?, reason = ? WHERE id = ?'
      ).run(revision, appliedAt, opts.reason, row.id);
      prepareCached(
        this.ctx.db,
        'INSERT INTO fleet_idempotency (owner, key, request_hash, plan_id, created_at) VALUES (?, ?, ?, ?, ?)'
      ).run(caller.token, opts.idempotencyKey, hash, row.id, appliedAt);
      this.ctx.events.append({
        source: 'actions',
        kind: action === 'kill' ? 'fleet.kill.applied' : 'fleet.kill_release.applied',
        severity: action === 'kill' ? 'critical' : 'warning',
        subject: row.id,
        actor: caller.actor,
        data: {
          plan_id: row.id,
          revision,
          selector: state.selector,
          reason: opts.reason,
          nodes: nodes.filter((n) => n.selected).map((n) => n.node),
        },
      });
    })();
    return { applied: { plan_id: row.id, action, revision, state, nodes, applied_at: appliedAt }, replayed: false };
  }

  private row(id: string): PlanRow | undefined {
    return prepareCached(this.ctx.db, 'SELECT * FROM fleet_plans WHERE id = ?').get(id) as PlanRow | undefined;
  }

  private appliedView(row: PlanRow, caller: Caller): FleetApplied {
    return {
      plan_id: row.id,
      action: row.action,
      revision: row.applied_revision ?? 0,
      state: {
        engaged: row.action === 'kill',
        selector: JSON.parse(row.selector) as Selector | null,
        actor: caller.actor,
        role: caller.role,
        reason: row.reason ?? '',
        plan_id: row.id,
        hub: this.ctx.config.node,
        updated_at: row.applied_at ?? row.created_at,
      },
      nodes: JSON.parse(row.nodes) as FleetPlanNode[],
      applied_at: row.applied_at ?? row.created_at,
    };
  }
}
