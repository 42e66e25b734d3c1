import { type Db, prepareCached } from '../store/database';

export const ACTION_STATUSES = ['planned', 'applying', 'applied', 'verified', 'failed', 'timed_out'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];
export const ACTION_TRIGGERS = ['api', 'classic', 'scheduler', 'guardian', 'fleet'] as const;
export type ActionTrigger = (typeof ACTION_TRIGGERS)[number];

export interface Interlock {
  code: string;
  message: string;
  /** Break-glass set this interlock aside. */
  overridden?: boolean;
}

export interface Change {
  field: string;
  from: unknown;
  to: unknown;
}

export interface Plan {
  id: string;
  action: string;
  params: Record<string, unknown>;
  state: Record<string, unknown>;
  fingerprint: string;
  changes: Change[];
  interlocks: Interlock[];
  allowed: boolean;
  break_glass: boolean;
  actor: string;
  created_at: string;
  expires_at: string;
  action_id: string | null;
  /** What the plan shows besides its changes (policy_apply: the rule diff and the backtest), or null. */
  evidence: Record<string, unknown> | null;
}

export interface ActionRecord {
  seq: number;
  id: string;
  action: string;
  status: ActionStatus;
  trigger: ActionTrigger;
  plan_id: string | null;
  params: Record<string, unknown>;
  reason: string;
  actor: string;
  executor: string;
  expect: Record<string, unknown> | null;
  result: Record<string, unknown> | null;
  error: string | null;
  verification: Record<string, unknown> | null;
  break_glass: boolean;
  decision_id: string | null;
  incident_id: string | null;
  created_at: string;
  updated_at: string;
  applied_at: string | null;
  finished_at: string | null;
}

const JSON_PLAN = ['params', 'state', 'changes', 'interlocks', 'evidence'] as const;
const JSON_ACTION = ['params', 'expect', 'result', 'verification'] as const;

function decode<T>(row: Record<string, unknown>, jsonKeys: readonly string[], boolKeys: readonly string[]): T {
  const out: Record<string, unknown> = { ...row };
  for (const k of jsonKeys) out[k] = row[k] === null || row[k] === undefined ? null : JSON.parse(String(row[k]));
  for (const k of boolKeys) out[k] = row[k] === 1;
  return out as T;
}

function encode(
  obj: Record<string, unknown>,
  jsonKeys: readonly string[],
  boolKeys: readonly string[]
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...obj };
  for (const k of jsonKeys)
    if (k in obj) out[k] = obj[k] === null || obj[k] === undefined ? null : JSON.stringify(obj[k]);
  for (const k of boolKeys) if (k in obj) out[k] = obj[k] ? 1 : 0;
  return out;
}

export class ActionsRepository {
  constructor(private readonly db: Db) {}

  insertPlan(p: Plan): void {
    prepareCached(
      this.db,
      `INSERT INTO action_plans (id, action, params, state, fingerprint, changes, interlocks, allowed, break_glass, actor, created_at, expires_at, action_id, evidence)
         VALUES (@id, @action, @params, @state, @fingerprint, @changes, @interlocks, @allowed, @break_glass, @actor, @created_at, @expires_at, @action_id, @evidence)`
    ).run(encode({ ...p }, JSON_PLAN, ['allowed', 'break_glass']));
  }

  getPlan(id: string): Plan | undefined {
    const r = prepareCached(this.db, 'SELECT * FROM action_plans WHERE id = ?').get(id) as
      Record<string, unknown> | undefined;
    return r ? decode<Plan>(r, JSON_PLAN, ['allowed', 'break_glass']) : undefined;
  }

  markPlanUsed(id: string, actionId: string): void {
    prepareCached(this.db, 'UPDATE action_plans SET action_id = ? WHERE id = ?').run(actionId, id);
  }

  insertAction(a: Omit<ActionRecord, 'seq'>): ActionRecord {
    const info = prepareCached(
      this.db,
      `INSERT INTO actions (id, action, status, trigger, plan_id, params, reason, actor, executor, expect, result, error,
           verification, break_glass, decision_id, incident_id, created_at, updated_at, applied_at, finished_at)
         VALUES (@id, @action, @status, @trigger, @plan_id, @params, @reason, @actor, @executor, @expect, @result, @error,
           @verification, @break_glass, @decision_id, @incident_id, @created_at, @updated_at, @applied_at, @finished_at)`
    ).run(encode({ ...a }, JSON_ACTION, ['break_glass']));
    return { ...a, seq: Number(info.lastInsertRowid) };
  }

  updateAction(id: string, fields: Partial<Omit<ActionRecord, 'seq' | 'id'>>): void {
    const keys = Object.keys(fields);
    if (!keys.length) return;
    prepareCached(this.db, `UPDATE actions SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`).run({
      ...encode(fields as Record<string, unknown>, JSON_ACTION, ['break_glass']),
      id,
    });
  }

  getAction(id: string): ActionRecord | undefined {
    const r = prepareCached(this.db, 'SELECT * FROM actions WHERE id = ?').get(id) as
      Record<string, unknown> | undefined;
    return r ? decode<ActionRecord>(r, JSON_ACTION, ['break_glass']) : undefined;
  }

  listActions(q: { action?: string; status?: ActionStatus[]; before?: number; limit: number }): ActionRecord[] {
    const where: string[] = [];
    const args: Record<string, unknown> = { limit: q.limit };
    if (q.action) {
      where.push('action = @action');
      args.action = q.action;
    }
    if (q.status?.length) {
      where.push(`status IN (${q.status.map((_, i) => `@s${i}`).join(', ')})`);
      q.status.forEach((s, i) => (args[`s${i}`] = s));
    }
    if (q.before !== undefined) {
      where.push('seq < @before');
      args.before = q.before;
    }
    const rows = prepareCached(
      this.db,
      `SELECT * FROM actions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT @limit`
    ).all(args) as Record<string, unknown>[];
    return rows.map((r) => decode<ActionRecord>(r, JSON_ACTION, ['break_glass']));
  }

  unfinished(): ActionRecord[] {
    const rows = prepareCached(
      this.db,
      "SELECT * FROM actions WHERE status IN ('planned', 'applying') OR (status = 'applied' AND expect IS NOT NULL AND finished_at IS NULL)"
    ).all() as Record<string, unknown>[];
    return rows.map((r) => decode<ActionRecord>(r, JSON_ACTION, ['break_glass']));
  }

  count(): number {
    return (prepareCached(this.db, 'SELECT COUNT(*) AS n FROM actions').get() as { n: number }).n;
  }

  idempotencyKey(token: string, key: string): { request_hash: string; action_id: string } | undefined {
    return prepareCached(
      this.db,
      'SELECT request_hash, action_id FROM idempotency_keys WHERE token = ? AND key = ?'
    ).get(token, key) as { request_hash: string; action_id: string } | undefined;
  }

  insertIdempotencyKey(token: string, key: string, requestHash: string, actionId: string): void {
    prepareCached(
      this.db,
      'INSERT INTO idempotency_keys (token, key, request_hash, action_id, created_at) VALUES (?, ?, ?, ?, ?)'
    ).run(token, key, requestHash, actionId, new Date().toISOString());
  }
}
