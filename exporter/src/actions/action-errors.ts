import type { ErrorCode } from '../api/errors';
import type { Interlock } from './actions-repository';

/**
 * One class per way an action request can be refused. Each names the API error code it is answered
 * with, so the router maps them all in one place without listing them.
 */
export abstract class ActionRefusedError extends Error {
  abstract readonly code: ErrorCode;
  /** Machine-readable details for the API answer, when the refusal has any. */
  get details(): unknown {
    return undefined;
  }
}
export class UnknownActionError extends ActionRefusedError {
  override name = 'UnknownActionError';
  readonly code = 'not_found';
}
export class ActionForbiddenError extends ActionRefusedError {
  override name = 'ActionForbiddenError';
  readonly code = 'forbidden';
}
export class PlanNotFoundError extends ActionRefusedError {
  override name = 'PlanNotFoundError';
  readonly code = 'not_found';
}
export class PlanExpiredError extends ActionRefusedError {
  override name = 'PlanExpiredError';
  readonly code = 'plan_expired';
}
/** The plan belongs to another action, or was already applied under another key. */
export class PlanConflictError extends ActionRefusedError {
  override name = 'PlanConflictError';
  readonly code = 'conflict';
}
export class PlanStaleError extends ActionRefusedError {
  override name = 'PlanStaleError';
  readonly code = 'plan_stale';
  constructor(
    message: string,
    readonly changed: { field: string; planned: unknown; now: unknown }[]
  ) {
    super(message);
  }
  override get details(): unknown {
    return { changed: this.changed };
  }
}
export class IdempotencyMismatchError extends ActionRefusedError {
  override name = 'IdempotencyMismatchError';
  readonly code = 'idempotency_mismatch';
}
export class InterlockError extends ActionRefusedError {
  override name = 'InterlockError';
  readonly code = 'interlock';
  constructor(readonly interlocks: Interlock[]) {
    super(`refused by interlock: ${interlocks.map((i) => i.message).join('; ')}`);
  }
  override get details(): unknown {
    return { interlocks: this.interlocks };
  }
}
/** The action's params do not fit it (a task action without a task id, ...). */
export class ActionParamsError extends ActionRefusedError {
  override name = 'ActionParamsError';
  readonly code = 'invalid_request';
  constructor(
    message: string,
    readonly issues: { path: string; message: string; code: string }[]
  ) {
    super(message);
  }
  override get details(): unknown {
    return this.issues;
  }
}
export class ActionNotFoundError extends Error {
  override name = 'ActionNotFoundError';
}
/** A plan's evidence refused it (an invalid policy, a backtest that cannot run now, …); code and details as given. */
export class PlanRefusedError extends ActionRefusedError {
  override name = 'PlanRefusedError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    private readonly extra?: unknown
  ) {
    super(message);
  }
  override get details(): unknown {
    return this.extra;
  }
}
/** An action whose plan gathers evidence first cannot be run in one synchronous step. */
export class PlanRequiredError extends ActionRefusedError {
  override name = 'PlanRequiredError';
  readonly code = 'conflict';
}
