// The sidecar API: components take it from `useLookoutApi()` / `useDiagnosticsApi()` (hooks/useNodeScope), which
// reach the node in scope; `create*Api(node)` builds one outside React.
export { createDiagnosticsApi, createLookoutApi, fleetApi, proxyUrl, scopedPath } from './client';
export type { DiagnosticsApi, FleetApi, LookoutApi, FeedQuery } from './client';
export { LookoutApiError, toApiError } from './errors';
export type { FieldProblem, InvalidTransitionDetails } from './errors';
export {
  BACKTEST_DIFF_KINDS,
  DIAGNOSTIC_SEVERITIES,
  DIAGNOSTIC_STATUSES,
  FEEDS,
  FLEET_NODE_STATES,
  SEVERITIES,
  TASK_STATUSES,
  TERMINAL_ACTION_STATUSES,
} from './contract';
export type * from './contract';
