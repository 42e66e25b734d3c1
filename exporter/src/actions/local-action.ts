import type { z } from 'zod';
import { ActionParamsError } from './action-errors';
import type { LocalActionName } from './actions-config';
import type { Change, Interlock } from './actions-repository';
import type { ExecutionRequest, ExecutionResult } from './executors';

/**
 * An action whose effect is on the sidecar's own state (the scheduler's pause, the task queue, the
 * agent registry). The capability that owns the state implements it; the action service gives it
 * the same lifecycle as a workload action: plan (what would change, what refuses it) → apply with a
 * reason and an Idempotency-Key → result, each step an event, the call audited.
 */
export interface LocalAction {
  name: LocalActionName;
  summary: string;
  access: 'operator' | 'admin';
  /**
   * Whether the kill switch refuses it. The kill switch stops the workload; pausing the scheduler
   * or tending the task queue does not act on it, and may be exactly what an incident needs.
   */
  refusedByKillSwitch: boolean;
  /** Checks and normalises the params; throws ActionParamsError (400) when they do not fit. */
  params(raw: Record<string, unknown>): Record<string, unknown>;
  /** The state the plan is judged on and bound to: a change to it between plan and apply makes the plan stale. */
  target(params: Record<string, unknown>): Record<string, unknown>;
  /** What would change and what refuses it; `resolved` is what apply runs with (an agent chosen at plan time). */
  judge(
    params: Record<string, unknown>,
    target: Record<string, unknown>
  ): { changes: Change[]; interlocks: Interlock[]; resolved?: Record<string, unknown> };
  /** Applies it; a refusal by the state (it changed after the plan) is `{ ok: false, message }`. */
  execute(req: ExecutionRequest): ExecutionResult;
  /**
   * Evidence its plan gathers first, asynchronously (policy_apply: a backtest of the candidate), with
   * params to add to what apply runs with. An action with evidence is planned through `planAsync`
   * only: it cannot run in one synchronous step (a playbook, a scheduler policy, a classic alias).
   */
  evidence?(
    params: Record<string, unknown>,
    caller: { actor: string }
  ): Promise<{ params?: Record<string, unknown>; evidence: Record<string, unknown> }>;
}

/** Parses an action's params with a zod schema; field paths become `body.params.<field>`. */
export function parseActionParams<T extends z.ZodType>(
  action: string,
  schema: T,
  raw: Record<string, unknown>
): z.infer<T> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({
    path: ['body', 'params', ...i.path.map(String)].join('.'),
    message: i.message,
    code: i.code,
  }));
  throw new ActionParamsError(`${action}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}
