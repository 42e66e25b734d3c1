import type { ErrorCode } from '../api/errors';

/** The fleet's KV buckets or stream cannot be reached (no NATS connection, the cluster without quorum). */
export class FleetUnavailableError extends Error {
  override name = 'FleetUnavailableError';
}

/**
 * One class per way a fleet request is refused; each names the API error code it is answered with,
 * so the router maps them in one place.
 */
export abstract class FleetRefusedError extends Error {
  abstract readonly code: ErrorCode;
  get details(): unknown {
    return undefined;
  }
}

/** Fleet mode is off on this sidecar (`fleet.enabled`). */
export class FleetNotEnabledError extends FleetRefusedError {
  override name = 'FleetNotEnabledError';
  readonly code = 'fleet_not_enabled';
}

/** The route is the hub's, and this sidecar is a member only (`fleet.hub`). */
export class NotFleetHubError extends FleetRefusedError {
  override name = 'NotFleetHubError';
  readonly code = 'not_fleet_hub';
}

export class FleetPlanNotFoundError extends FleetRefusedError {
  override name = 'FleetPlanNotFoundError';
  readonly code = 'not_found';
}

export class FleetPlanExpiredError extends FleetRefusedError {
  override name = 'FleetPlanExpiredError';
  readonly code = 'plan_expired';
}

/** The plan belongs to another action, or was applied already. */
export class FleetPlanConflictError extends FleetRefusedError {
  override name = 'FleetPlanConflictError';
  readonly code = 'conflict';
}

/** The fleet kill state changed (another revision) since the plan was made. */
export class FleetPlanStaleError extends FleetRefusedError {
  override name = 'FleetPlanStaleError';
  readonly code = 'plan_stale';
  constructor(
    message: string,
    readonly planned: number,
    readonly now: number
  ) {
    super(message);
  }
  override get details(): unknown {
    return { changed: [{ field: 'fleet.kill.revision', planned: this.planned, now: this.now }] };
  }
}

export class FleetIdempotencyMismatchError extends FleetRefusedError {
  override name = 'FleetIdempotencyMismatchError';
  readonly code = 'idempotency_mismatch';
}

export class FleetForbiddenError extends FleetRefusedError {
  override name = 'FleetForbiddenError';
  readonly code = 'forbidden';
}

/** The node is unknown to the hub, or advertises no URL to forward to. */
export class FleetNodeNotFoundError extends FleetRefusedError {
  override name = 'FleetNodeNotFoundError';
  readonly code = 'not_found';
}

/** The hub could not reach the node it forwards to. */
export class FleetNodeUnreachableError extends FleetRefusedError {
  override name = 'FleetNodeUnreachableError';
  readonly code = 'node_unreachable';
}
