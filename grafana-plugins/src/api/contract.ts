/**
 * Names for the shapes of the Lookout sidecar API, all derived from the types that `npm run api:types` generates
 * from `docs/openapi.json` (the sidecar's own OpenAPI document) into `openapi.gen.ts`. Nothing here restates a
 * field: when the sidecar's schema changes, these change with it and the compiler shows every use.
 */
import type { paths } from './openapi.gen';

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type JsonContent<R> = R extends { content: { 'application/json': infer B } } ? B : never;

/** The JSON body the sidecar answers `M P` with, for status `S` (200 by default). */
export type ResponseOf<P extends keyof paths, M extends Method, S extends number = 200> =
  Operation<P, M> extends { responses: infer R } ? (S extends keyof R ? JsonContent<R[S]> : never) : never;

/** The JSON request body of `M P`. */
export type BodyOf<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { requestBody?: infer B } ? JsonContent<NonNullable<B>> : never;

/** The query parameters of `M P`. */
export type QueryOf<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

type PathParamsOf<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { parameters: { path: infer A } } ? A : never;

type ItemOf<L> = L extends { items: Array<infer T> } ? T : never;

/** A page of a list route: `{ items, next_cursor }`. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export type StatusResponse = ResponseOf<'/api/v1/status', 'get'>;
export type KillSwitchState = StatusResponse['kill_switch'];
export type WhoamiResponse = ResponseOf<'/api/v1/whoami', 'get'>;

export type LineageResponse = ResponseOf<'/api/v1/lineage', 'get'>;
export type Generation = LineageResponse['generations'][number];
export type GenerationStatus = Generation['status'];

export type CalibrationImage = ItemOf<ResponseOf<'/api/v1/artifacts/calibration', 'get'>>;

export type LookoutEvent = ItemOf<ResponseOf<'/api/v1/feeds/{feed}', 'get'>>;
export type Severity = LookoutEvent['severity'];
export type FeedName = PathParamsOf<'/api/v1/feeds/{feed}', 'get'>['feed'];

export type ActionPlan = ResponseOf<'/api/v1/actions/{name}/plan', 'post'>;
export type ActionRecord = ResponseOf<'/api/v1/actions/{id}', 'get'>;
export type ActionStatus = ActionRecord['status'];

export type Incident = ResponseOf<'/api/v1/incidents/{id}', 'get'>;
export type IncidentStatus = Incident['status'];

export type Decision = ResponseOf<'/api/v1/decisions/{id}', 'get'>;

export type WorkloadTelemetry = StatusResponse['workload_telemetry'];
export type PolicyResponse = ResponseOf<'/api/v1/policy', 'get'>;
export type PolicyRule = PolicyResponse['guardian']['rules'][number];
export type SchedulerPolicySummary = PolicyResponse['scheduler']['policies'][number];
export type PolicyProblem = PolicyResponse['warnings'][number];
export type PolicyValidation = ResponseOf<'/api/v1/policy/validate', 'post'>;
export type BacktestRun = ResponseOf<'/api/v1/backtests/{id}', 'get'>;
export type BacktestStatus = BacktestRun['status'];
export type BacktestRequest = BodyOf<'/api/v1/backtests', 'post'>;
export type BacktestSource = NonNullable<BacktestRequest['source']>;
export type BacktestResult = ResponseOf<'/api/v1/backtests/{id}/result', 'get'>;
export type BacktestFire = BacktestResult['fires'][number];
export type BacktestDiff = BacktestResult['comparison']['items'][number];
export type BacktestDiffKind = BacktestDiff['kind'];
export type BacktestRuleView = BacktestResult['rules'][number];
export type BacktestChartPoint = BacktestResult['chart'][string][number];
export type Agent = ItemOf<ResponseOf<'/api/v1/agents', 'get'>>;
export type Task = ItemOf<ResponseOf<'/api/v1/tasks', 'get'>>;
export type TaskStatus = Task['status'];
export type TaskAttempt = ItemOf<ResponseOf<'/api/v1/tasks/{id}/attempts', 'get'>>;
export type TaskDraft = BodyOf<'/api/v1/tasks', 'post'>;
export type TaskListQuery = QueryOf<'/api/v1/tasks', 'get'>;
export type AgentStatus = Agent['status'];
export type AuditEntry = ItemOf<ResponseOf<'/api/v1/audit', 'get'>>;

export type Diagnostic = ItemOf<ResponseOf<'/api/v1/diagnostics', 'get'>>;
export type DiagnosticSeverity = Diagnostic['severity'];
export type DiagnosticStatus = Diagnostic['status'];
export type DiagnosticDetail = ResponseOf<'/api/v1/diagnostics/{id}', 'get'>;
export type DiagnosticComment = ResponseOf<'/api/v1/diagnostics/{id}/comments', 'post', 201>;
export type DiagnosticHistoryEntry = DiagnosticDetail['history'][number];
export type DiagnosticIncidentLink = DiagnosticDetail['incidents'][number];
export type DiagnosticEstimate = NonNullable<DiagnosticDetail['estimate']>;
export type DiagnosticsAnalytics = ResponseOf<'/api/v1/diagnostics/analytics', 'get'>;
export type DiagnosticListQuery = QueryOf<'/api/v1/diagnostics', 'get'>;
export type DiagnosticSortField = NonNullable<DiagnosticListQuery['sort']>;
export type SortOrder = NonNullable<DiagnosticListQuery['order']>;
export type DiagnosticDraft = BodyOf<'/api/v1/diagnostics', 'post'>;
export type DiagnosticPatch = BodyOf<'/api/v1/diagnostics/{id}', 'patch'>;

export type FleetResponse = ResponseOf<'/api/v1/fleet', 'get'>;
export type FleetNode = FleetResponse['nodes'][number];
export type FleetNodeState = FleetNode['state'];
export type FleetKillView = FleetResponse['kill'];
export type FleetKillState = NonNullable<FleetKillView['state']>;
export type FleetFollowReport = NonNullable<FleetNode['fleet_kill']>;
export type FleetFollowStatus = FleetFollowReport['status'];
export type FleetLease = FleetResponse['leases'][number];
export type FleetAction = PathParamsOf<'/api/v1/fleet/actions/{name}/plan', 'post'>['name'];
export type FleetSelector = NonNullable<BodyOf<'/api/v1/fleet/actions/{name}/plan', 'post'>['selector']>;
export type FleetPlan = ResponseOf<'/api/v1/fleet/actions/{name}/plan', 'post'>;
export type FleetPlanNode = FleetPlan['nodes'][number];
export type FleetApplied = ResponseOf<'/api/v1/fleet/actions/{name}/apply', 'post', 202>;

/** Every error the sidecar answers: `{ error: { code, message, details } }`. */
export type ApiErrorBody = ResponseOf<'/api/v1/status', 'get', 400>;

/**
 * A list of every member of the union `U`, in a chosen order: a member added to the sidecar's enum and missing
 * here is a compile error, so option lists never silently fall behind the contract.
 */
function allOf<U>() {
  return <const A extends readonly U[]>(values: A & ([U] extends [A[number]] ? unknown : never)): readonly U[] =>
    values;
}

export const SEVERITIES = allOf<Severity>()(['debug', 'info', 'warning', 'critical']);
export const FEEDS = allOf<FeedName>()(['scheduler', 'guardian', 'activity', 'agents', 'diagnostics', 'all']);
export const TASK_STATUSES = allOf<TaskStatus>()([
  'queued',
  'assigned',
  'in_progress',
  'done',
  'dead_letter',
  'cancelled',
]);
export const BACKTEST_DIFF_KINDS = allOf<BacktestDiffKind>()(['same', 'earlier', 'later', 'added', 'removed']);
export const DIAGNOSTIC_SEVERITIES = allOf<DiagnosticSeverity>()(['info', 'warning', 'critical']);
export const DIAGNOSTIC_STATUSES = allOf<DiagnosticStatus>()(['open', 'in_progress', 'resolved', 'closed']);
export const FLEET_NODE_STATES = allOf<FleetNodeState>()(['up', 'stale', 'gone', 'stopped']);
/** The statuses an action does not leave. */
export const TERMINAL_ACTION_STATUSES: readonly ActionStatus[] = ['verified', 'failed', 'timed_out'];
