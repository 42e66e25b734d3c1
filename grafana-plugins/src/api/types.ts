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

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}
