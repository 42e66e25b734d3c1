import type { Interlock } from './actions-repository';

/** One class per way an action request can be refused; the router maps each to an API error code. */
export class UnknownActionError extends Error {
  override name = 'UnknownActionError';
}
export class ActionForbiddenError extends Error {
  override name = 'ActionForbiddenError';
}
export class PlanNotFoundError extends Error {
  override name = 'PlanNotFoundError';
}
export class PlanExpiredError extends Error {
  override name = 'PlanExpiredError';
}
/** The plan belongs to another action, or was already applied under another key. */
export class PlanConflictError extends Error {
  override name = 'PlanConflictError';
}
export class PlanStaleError extends Error {
  override name = 'PlanStaleError';
  constructor(
    message: string,
    readonly changed: { field: string; planned: unknown; now: unknown }[]
  ) {
    super(message);
  }
}
export class IdempotencyMismatchError extends Error {
  override name = 'IdempotencyMismatchError';
}
export class InterlockError extends Error {
  override name = 'InterlockError';
  constructor(readonly interlocks: Interlock[]) {
    super(`refused by interlock: ${interlocks.map((i) => i.message).join('; ')}`);
  }
}
export class ActionNotFoundError extends Error {
  override name = 'ActionNotFoundError';
}
