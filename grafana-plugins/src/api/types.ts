/** Shapes of the Lookout sidecar REST API (ARCHITECTURE.md §4). Keep every shape here. */

export type Severity = 'debug' | 'info' | 'warning' | 'critical';
export const SEVERITIES: Severity[] = ['debug', 'info', 'warning', 'critical'];

export type SidecarRole = 'viewer' | 'operator' | 'admin' | 'agent';

export interface KillSwitchState {
  engaged: boolean;
  actor?: string | null;
  reason?: string | null;
  since?: string | null;
}

export interface StatusResponse {
  version: string;
  node: string;
  started_at: string;
  uptime_s: number;
  auth: { token: string; role: SidecarRole | string };
  kill_switch: KillSwitchState;
  scheduler?: { paused: boolean };
  incidents?: { open: number };
  [key: string]: unknown;
}

export type GenerationStatus = 'candidate' | 'canary' | 'active' | 'retired' | 'failed';

export interface Generation {
  id: string;
  parent: string | null;
  created_at: string;
  status: GenerationStatus | string;
  kpis: Record<string, number | string | null>;
  artifacts: unknown[];
  notes?: string | null;
}

export interface LineageResponse {
  model: string;
  generations: Generation[];
  active: string | null;
  canary: string | null;
  updated_at: string | null;
}

export interface CalibrationImage {
  id: string;
  generation: string;
  name: string;
  kind: string;
  title?: string | null;
  metric?: string | number | null;
  content_type: string;
  size: number;
  created_at: string;
  /** Relative to the sidecar root (`api/v1/artifacts/calibration/<id>/image`). */
  url: string;
}

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface LookoutEvent {
  id: string;
  ts: string;
  node: string;
  source: string;
  kind: string;
  severity: Severity;
  subject?: string | null;
  data?: Record<string, unknown> | null;
  trace_id?: string | null;
  actor?: string | null;
}

export const FEEDS = ['scheduler', 'guardian', 'activity', 'agents', 'diagnostics', 'all'] as const;
export type FeedName = (typeof FEEDS)[number];

export interface PlanChange {
  field: string;
  from: unknown;
  to: unknown;
}

export interface Interlock {
  code: string;
  message: string;
  /** Set aside by an admin's break-glass plan. */
  overridden?: boolean;
}

export interface ActionPlan {
  plan_id: string;
  action: string;
  params?: Record<string, unknown> | null;
  /** The state the plan was made against (the sidecar calls it `state`; `current` in early drafts). */
  state?: Record<string, unknown>;
  current?: Record<string, unknown>;
  changes: PlanChange[];
  interlocks: Interlock[];
  allowed: boolean;
  break_glass?: boolean;
  expires_at: string;
}

export type ActionStatus = 'planned' | 'applying' | 'applied' | 'verified' | 'failed' | 'timed_out';
export const TERMINAL_ACTION_STATUSES: ActionStatus[] = ['verified', 'failed', 'timed_out'];

export interface ActionRecord {
  id: string;
  /** The action's name (`action` on the sidecar; `name` in early drafts). */
  action?: string;
  name?: string;
  status: ActionStatus | string;
  plan_id: string;
  reason: string;
  actor?: string | null;
  created_at: string;
  updated_at: string;
  result?: unknown;
  error?: unknown;
  verification?: Record<string, unknown> | null;
}

export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';

export interface Incident {
  id: string;
  rule: string;
  severity: Severity | string;
  status: IncidentStatus | string;
  title: string;
  opened_at: string;
  acknowledged_at?: string | null;
  resolved_at?: string | null;
  actor?: string | null;
  note?: string | null;
  diagnostic_id?: string | null;
}

export interface Decision {
  id: string;
  policy: string;
  verdict: string;
  inputs: Record<string, unknown>;
  thresholds: Record<string, unknown>;
  rule_version: string | number;
  action_id?: string | null;
  ts: string;
  why: string;
}

export interface Agent {
  id?: string;
  name: string;
  status: string;
  capabilities?: string[];
  priority_score?: number;
  last_heartbeat_at?: string | null;
  [key: string]: unknown;
}

export interface Task {
  id: string;
  title: string;
  status: string;
  priority?: number | string;
  category?: string;
  agent_id?: string | null;
  assignee?: string | null;
  created_at?: string;
  [key: string]: unknown;
}

export interface AuditEntry {
  id: string;
  ts: string;
  actor: string;
  grafana_user?: string | null;
  method: string;
  route: string;
  action?: string | null;
  reason?: string | null;
  result?: string | null;
  status: number;
}

/** Diagnostics (issue tracker for operational problems): `/api/v1/diagnostics`. */
export type DiagnosticSeverity = 'info' | 'warning' | 'critical';
export const DIAGNOSTIC_SEVERITIES: DiagnosticSeverity[] = ['info', 'warning', 'critical'];

export type DiagnosticStatus = 'open' | 'in_progress' | 'resolved' | 'closed';
export const DIAGNOSTIC_STATUSES: DiagnosticStatus[] = ['open', 'in_progress', 'resolved', 'closed'];

export type DiagnosticSortField = 'created_at' | 'updated_at' | 'due_at' | 'severity';
export type SortOrder = 'asc' | 'desc';

export interface Diagnostic {
  /** `D-42`. */
  id: string;
  title: string;
  description: string;
  severity: DiagnosticSeverity;
  status: DiagnosticStatus;
  assignee: string | null;
  due_at: string | null;
  /** Open or in progress, and `due_at` has passed. */
  overdue: boolean;
  tags: string[];
  component: string | null;
  roadmap_url: string | null;
  origin: 'api' | 'guardian';
  /** The guardian rule, when the guardian opened it. */
  rule: string | null;
  node: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  resolved_at: string | null;
  closed_at: string | null;
}

export interface DiagnosticComment {
  id: number;
  ts: string;
  author: string;
  body: string;
  kind: 'user' | 'system';
}

export interface DiagnosticHistoryEntry {
  seq: number;
  ts: string;
  actor: string;
  action: string;
  changes: Record<string, { from: unknown; to: unknown }>;
  note: string | null;
}

export interface DiagnosticIncidentLink {
  incident_id: string;
  rule: string;
  node: string;
  severity: string;
  title: string;
  linked_at: string;
  resolved_at: string | null;
  resolved_by: string | null;
  resolution_note: string | null;
}

export interface DiagnosticEstimate {
  diagnostic_id: string;
  /** Which resolved diagnostics the estimate was drawn from. */
  basis: 'severity+component' | 'severity' | 'all' | 'none';
  sample_size: number;
  median_s: number | null;
  p90_s: number | null;
  expected_resolved_at: string | null;
  remaining_s: number | null;
}

export interface DiagnosticDetail extends Diagnostic {
  comments: DiagnosticComment[];
  history: DiagnosticHistoryEntry[];
  incidents: DiagnosticIncidentLink[];
  allowed_transitions: DiagnosticStatus[];
  can_reopen: boolean;
  estimate: DiagnosticEstimate | null;
}

export interface ResolveStats {
  count: number;
  median_s: number | null;
  p90_s: number | null;
}

export interface DiagnosticsAnalytics {
  generated_at: string;
  range: { since: string; until: string };
  open_by_severity: Record<DiagnosticSeverity, number>;
  open_total: number;
  overdue: number;
  time_to_resolve: Record<DiagnosticSeverity, ResolveStats>;
  weekly: Array<{ week_start: string; opened: number; resolved: number }>;
  estimate: DiagnosticEstimate | null;
}

/** `GET /api/v1/diagnostics` filters; lists are comma-separated, every `tag` must be present. */
export interface DiagnosticListQuery {
  status?: string;
  severity?: string;
  assignee?: string;
  unassigned?: boolean;
  tag?: string;
  component?: string;
  overdue?: boolean;
  q?: string;
  sort?: DiagnosticSortField;
  order?: SortOrder;
  cursor?: string | null;
  limit?: number;
}

/** Body of `POST /api/v1/diagnostics`. */
export interface DiagnosticDraft {
  title: string;
  description?: string;
  severity?: DiagnosticSeverity;
  assignee?: string;
  due_at?: string;
  tags?: string[];
  component?: string;
  roadmap_url?: string;
}

/** Body of `PATCH /api/v1/diagnostics/:id`: null clears assignee, due_at, component and roadmap_url. */
export interface DiagnosticPatch {
  title?: string;
  description?: string;
  severity?: DiagnosticSeverity;
  assignee?: string | null;
  due_at?: string | null;
  tags?: string[];
  component?: string | null;
  roadmap_url?: string | null;
}

/** `details` of a 409 `invalid_transition`. */
export interface InvalidTransitionDetails {
  from: DiagnosticStatus;
  to: DiagnosticStatus;
  allowed: DiagnosticStatus[];
  reopen: boolean;
}

/** One entry of a 400 `invalid_request`'s `details`, e.g. `{ path: 'body.title', message, code }`. */
export interface FieldProblem {
  path: string;
  message: string;
  code?: string;
}

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}
