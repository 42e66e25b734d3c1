export { diagnosticsApi, lookoutApi, proxyUrl } from './client';
export type { DiagnosticsApi, LookoutApi, FeedQuery } from './client';
export { LookoutApiError, toApiError } from './errors';
export type { FieldProblem, InvalidTransitionDetails } from './errors';
export {
  BACKTEST_DIFF_KINDS,
  DIAGNOSTIC_SEVERITIES,
  DIAGNOSTIC_STATUSES,
  FEEDS,
  SEVERITIES,
  TASK_STATUSES,
  TERMINAL_ACTION_STATUSES,
} from './contract';
export type * from './contract';
