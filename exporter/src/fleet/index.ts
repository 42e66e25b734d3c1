// The fleet module's public surface: values and types listed separately.
export { fleetConfigSchema, labelsSchema } from './fleet-config';
export type { FleetConfig } from './fleet-config';
export { FleetKv, FLEET_KILL_KEY } from './fleet-kv';
export type { FleetBucket } from './fleet-kv';
export {
  FleetForbiddenError,
  FleetIdempotencyMismatchError,
  FleetNodeNotFoundError,
  FleetNodeUnreachableError,
  FleetNotEnabledError,
  FleetPlanConflictError,
  FleetPlanExpiredError,
  FleetPlanNotFoundError,
  FleetPlanStaleError,
  FleetRefusedError,
  FleetUnavailableError,
  NotFleetHubError,
} from './fleet-errors';
export { FOLLOW_STATUSES, fleetKillStateSchema, nodeRecordSchema, selectorSchema, selects } from './fleet-schemas';
export type { FleetKillState, FollowReport, FollowStatus, NodeRecord, Selector } from './fleet-schemas';
export { KvLease, leaseValueSchema } from './kv-lease';
export type { LeaseChange, LeaseValue } from './kv-lease';
export { Membership } from './membership';
export { FLEET_KILL_LOCAL_KEY, KillFollower } from './kill-follower';
export { FleetEventsRepository } from './fleet-events-repository';
export { HubConsumer } from './hub-consumer';
export { FleetView, NODE_STATES } from './fleet-view';
export type { FleetNode, NodeState } from './fleet-view';
export { FLEET_ACTIONS, FleetActions } from './fleet-actions';
export type { FleetAction, FleetApplied, FleetPlan } from './fleet-actions';
export { FleetForwarder, forwardedContext } from './fleet-forward';
export { FleetMetrics } from './fleet-metrics';
export { fleetRoutes } from './fleet-router';
export type { FleetHubApi } from './fleet-router';
