import { getBackendSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';
import { PROXY_BASE } from '../constants';
import { newIdempotencyKey } from '../data/ids';
import { toApiError } from './errors';
import type {
  ActionPlan,
  ActionRecord,
  Agent,
  BacktestRequest,
  BacktestResult,
  BacktestRun,
  AuditEntry,
  CalibrationImage,
  Decision,
  Diagnostic,
  DiagnosticComment,
  DiagnosticDetail,
  DiagnosticDraft,
  DiagnosticListQuery,
  DiagnosticPatch,
  DiagnosticsAnalytics,
  DiagnosticStatus,
  FeedName,
  FleetAction,
  FleetApplied,
  FleetPlan,
  FleetResponse,
  FleetSelector,
  Incident,
  LineageResponse,
  LookoutEvent,
  Page,
  PolicyResponse,
  PolicyValidation,
  Severity,
  StatusResponse,
  WhoamiResponse,
  Task,
  TaskAttempt,
  TaskDraft,
  TaskListQuery,
} from './contract';

type Query = Record<string, string | string[] | number | boolean | undefined | null>;

/**
 * The sidecar path of a request: as given for the sidecar the app talks to, or — for one node of its fleet — the
 * hub's forward of that node's own route (`api/v1/fleet/nodes/<node>/api/v1/…`). The node decides with the
 * person's role, as it would if called directly.
 */
export function scopedPath(path: string, node?: string | null): string {
  const clean = path.replace(/^\/+/, '');
  if (!node) {
    return clean;
  }
  if (!clean.startsWith('api/v1/')) {
    throw new Error(`only api/v1/ routes reach a node through the hub, not ${clean}`);
  }
  return `api/v1/fleet/nodes/${encodeURIComponent(node)}/${clean}`;
}

/** Builds a plugin-proxy URL for a sidecar path such as `api/v1/status` (of one fleet node with `node`). */
export function proxyUrl(path: string, query?: Query, node?: string | null): string {
  const clean = scopedPath(path, node);
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') {
      qs.set(k, Array.isArray(v) ? v.join(',') : String(v));
    }
  }
  const s = qs.toString();
  return `${PROXY_BASE}/${clean}${s ? `?${s}` : ''}`;
}

async function request<T>(
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  opts: { query?: Query; body?: unknown; headers?: Record<string, string>; node?: string | null } = {}
): Promise<T> {
  try {
    const response = await lastValueFrom(
      getBackendSrv().fetch<T>({
        url: proxyUrl(path, opts.query, opts.node),
        method,
        data: opts.body,
        headers: opts.headers,
        // Errors are shown in the panels themselves, not as Grafana toasts.
        showErrorAlert: false,
        showSuccessAlert: false,
      })
    );
    return response.data;
  } catch (err) {
    throw toApiError(err);
  }
}

/** `request` bound to one fleet node (null: the sidecar the app talks to). */
function scopedRequest(node: string | null) {
  return <T>(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    opts: { query?: Query; body?: unknown; headers?: Record<string, string> } = {}
  ): Promise<T> => request<T>(method, path, { ...opts, node });
}

export interface FeedQuery {
  cursor?: string | null;
  limit?: number;
  source?: string;
  kind?: string;
  severity?: Severity;
  since?: string;
  until?: string;
}

/**
 * The typed Lookout sidecar API, reached only through `/api/plugin-proxy/lookout-ops-app/`: the sidecar the app
 * talks to, or with `node` one node of its fleet through it (the app's drill-down and the panels' node picker).
 */
export function createLookoutApi(node: string | null = null) {
  const call = scopedRequest(node);
  return {
    status: (): Promise<StatusResponse> => call('GET', 'api/v1/status'),
    /** Who the sidecar thinks the signed-in user is: the person, the role it acts with, and the credential. */
    whoami: (): Promise<WhoamiResponse> => call('GET', 'api/v1/whoami'),
    lineage: (at?: string): Promise<LineageResponse> => call('GET', 'api/v1/lineage', { query: { at } }),
    calibration: (q: {
      generation?: string;
      kind?: string;
      cursor?: string | null;
      limit?: number;
    }): Promise<Page<CalibrationImage>> => call('GET', 'api/v1/artifacts/calibration', { query: q }),
    /** Browser-loadable URL for an image item (`url` is relative to the sidecar root). */
    imageUrl: (item: Pick<CalibrationImage, 'url' | 'id'>): string =>
      proxyUrl(item.url || `api/v1/artifacts/calibration/${encodeURIComponent(item.id)}/image`, undefined, node),
    feed: (feed: FeedName, q: FeedQuery = {}): Promise<Page<LookoutEvent>> =>
      call('GET', `api/v1/feeds/${feed}`, { query: { ...q } }),
    /** The SSE stream: these feeds, optionally only some kinds (`lineage.*`), at least this severity. */
    streamUrl: (feeds: FeedName[], severity?: Severity, kinds?: string[]): string =>
      proxyUrl('api/v1/stream', { feeds: feeds.join(','), severity, kind: kinds?.length ? kinds : undefined }, node),
    planAction: (name: string, params?: Record<string, unknown>): Promise<ActionPlan> =>
      call('POST', `api/v1/actions/${encodeURIComponent(name)}/plan`, { body: params ? { params } : {} }),
    applyAction: (
      name: string,
      planId: string,
      reason: string,
      idempotencyKey = newIdempotencyKey()
    ): Promise<ActionRecord> =>
      call('POST', `api/v1/actions/${encodeURIComponent(name)}/apply`, {
        body: { plan_id: planId, reason },
        headers: { 'Idempotency-Key': idempotencyKey },
      }),
    action: (id: string): Promise<ActionRecord> => call('GET', `api/v1/actions/${encodeURIComponent(id)}`),
    actions: (limit = 20): Promise<Page<ActionRecord>> => call('GET', 'api/v1/actions', { query: { limit } }),
    incidents: (status?: string): Promise<Page<Incident>> => call('GET', 'api/v1/incidents', { query: { status } }),
    ackIncident: (id: string, note: string): Promise<Incident> =>
      call('POST', `api/v1/incidents/${encodeURIComponent(id)}/ack`, { body: { note } }),
    resolveIncident: (id: string, note: string): Promise<Incident> =>
      call('POST', `api/v1/incidents/${encodeURIComponent(id)}/resolve`, { body: { note } }),
    decision: (id: string): Promise<Decision> => call('GET', `api/v1/decisions/${encodeURIComponent(id)}`),
    agents: (cursor?: string | null): Promise<Page<Agent>> => call('GET', 'api/v1/agents', { query: { cursor } }),
    tasks: (q: TaskListQuery = {}): Promise<Page<Task>> => call('GET', 'api/v1/tasks', { query: { ...q } }),
    /** A task's attempts, oldest first: agent, times, outcome, error, the retry it scheduled. */
    taskAttempts: (id: number): Promise<{ items: TaskAttempt[] }> => call('GET', `api/v1/tasks/${id}/attempts`),
    createTask: (draft: TaskDraft): Promise<Task> => call('POST', 'api/v1/tasks', { body: draft }),
    audit: (cursor?: string | null, limit = 100): Promise<Page<AuditEntry>> =>
      call('GET', 'api/v1/audit', { query: { cursor, limit } }),
    /** The running safety policy: version, source, rules, and the last refused change of its file. */
    policy: (): Promise<PolicyResponse> => call('GET', 'api/v1/policy'),
    /** Dry run of a policy text (Editors): valid with warnings, or a `policy_invalid` error listing every problem. */
    validatePolicy: (content: string): Promise<PolicyValidation> =>
      call('POST', 'api/v1/policy/validate', { body: { content } }),
    /** Starts a backtest (Editors): the ended run (201) or the run still running (202); one runs at a time. */
    createBacktest: (body: BacktestRequest): Promise<BacktestRun> => call('POST', 'api/v1/backtests', { body }),
    backtests: (limit = 20): Promise<Page<BacktestRun>> => call('GET', 'api/v1/backtests', { query: { limit } }),
    backtest: (id: string): Promise<BacktestRun> => call('GET', `api/v1/backtests/${encodeURIComponent(id)}`),
    backtestResult: (id: string): Promise<BacktestResult> =>
      call('GET', `api/v1/backtests/${encodeURIComponent(id)}/result`),
    cancelBacktest: (id: string): Promise<BacktestRun> =>
      call('POST', `api/v1/backtests/${encodeURIComponent(id)}/cancel`, { body: {} }),
  };
}

/** The sidecar the app talks to. */
export const lookoutApi = createLookoutApi();

export type LookoutApi = typeof lookoutApi;

const diagnosticPath = (id: string, rest = ''): string => `api/v1/diagnostics/${encodeURIComponent(id)}${rest}`;

/** Diagnostics: viewers read (GET); writes go through the Editor-only proxy routes. One fleet node's with `node`. */
export function createDiagnosticsApi(node: string | null = null) {
  const call = scopedRequest(node);
  return {
    list: (q: DiagnosticListQuery = {}): Promise<Page<Diagnostic>> =>
      call('GET', 'api/v1/diagnostics', { query: { ...q } }),
    get: (id: string): Promise<DiagnosticDetail> => call('GET', diagnosticPath(id)),
    analytics: (q: { since?: string; until?: string; diagnostic?: string } = {}): Promise<DiagnosticsAnalytics> =>
      call('GET', 'api/v1/diagnostics/analytics', { query: q }),
    create: (draft: DiagnosticDraft): Promise<Diagnostic> => call('POST', 'api/v1/diagnostics', { body: draft }),
    update: (id: string, patch: DiagnosticPatch): Promise<Diagnostic> =>
      call('PATCH', diagnosticPath(id), { body: patch }),
    comment: (id: string, body: string): Promise<DiagnosticComment> =>
      call('POST', diagnosticPath(id, '/comments'), { body: { body } }),
    assign: (id: string, assignee: string | null, note?: string): Promise<Diagnostic> =>
      call('POST', diagnosticPath(id, '/assign'), { body: note ? { assignee, note } : { assignee } }),
    transition: (id: string, to: DiagnosticStatus, note?: string): Promise<Diagnostic> =>
      call('POST', diagnosticPath(id, '/transition'), { body: note ? { to, note } : { to } }),
    reopen: (id: string, note?: string): Promise<Diagnostic> =>
      call('POST', diagnosticPath(id, '/reopen'), { body: note ? { note } : {} }),
  };
}

export const diagnosticsApi = createDiagnosticsApi();

export type DiagnosticsApi = typeof diagnosticsApi;

/** The fleet, from its hub (the sidecar the app talks to, with `fleet.hub`). */
export const fleetApi = {
  fleet: (): Promise<FleetResponse> => request('GET', 'api/v1/fleet'),
  /** Every node's events (the hub feed); `nodes` narrows it. */
  feed: (feed: FeedName, q: FeedQuery & { node?: string[] } = {}): Promise<Page<LookoutEvent>> =>
    request('GET', `api/v1/fleet/feeds/${feed}`, { query: { ...q } }),
  streamUrl: (feeds: FeedName[], severity?: Severity, nodes?: string[], kinds?: string[]): string =>
    proxyUrl('api/v1/fleet/stream', {
      feeds: feeds.join(','),
      severity,
      node: nodes?.length ? nodes : undefined,
      kind: kinds?.length ? kinds : undefined,
    }),
  plan: (action: FleetAction, selector?: FleetSelector): Promise<FleetPlan> =>
    request('POST', `api/v1/fleet/actions/${action}/plan`, { body: selector ? { selector } : {} }),
  apply: (
    action: FleetAction,
    planId: string,
    reason: string,
    idempotencyKey = newIdempotencyKey()
  ): Promise<FleetApplied> =>
    request('POST', `api/v1/fleet/actions/${action}/apply`, {
      body: { plan_id: planId, reason },
      headers: { 'Idempotency-Key': idempotencyKey },
    }),
};

export type FleetApi = typeof fleetApi;
