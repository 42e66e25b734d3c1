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

/** Builds a plugin-proxy URL for a sidecar path such as `api/v1/status`. */
export function proxyUrl(path: string, query?: Query): string {
  const clean = path.replace(/^\/+/, '');
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
  opts: { query?: Query; body?: unknown; headers?: Record<string, string> } = {}
): Promise<T> {
  try {
    const response = await lastValueFrom(
      getBackendSrv().fetch<T>({
        url: proxyUrl(path, opts.query),
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

export interface FeedQuery {
  cursor?: string | null;
  limit?: number;
  source?: string;
  kind?: string;
  severity?: Severity;
  since?: string;
  until?: string;
}

/** The typed Lookout sidecar API, reached only through `/api/plugin-proxy/lookout-ops-app/`. */
export const lookoutApi = {
  status: (): Promise<StatusResponse> => request('GET', 'api/v1/status'),
  /** Who the sidecar thinks the signed-in user is: the person, the role it acts with, and the credential. */
  whoami: (): Promise<WhoamiResponse> => request('GET', 'api/v1/whoami'),
  lineage: (at?: string): Promise<LineageResponse> => request('GET', 'api/v1/lineage', { query: { at } }),
  calibration: (q: {
    generation?: string;
    kind?: string;
    cursor?: string | null;
    limit?: number;
  }): Promise<Page<CalibrationImage>> => request('GET', 'api/v1/artifacts/calibration', { query: q }),
  /** Browser-loadable URL for an image item (`url` is relative to the sidecar root). */
  imageUrl: (item: Pick<CalibrationImage, 'url' | 'id'>): string =>
    proxyUrl(item.url || `api/v1/artifacts/calibration/${encodeURIComponent(item.id)}/image`),
  feed: (feed: FeedName, q: FeedQuery = {}): Promise<Page<LookoutEvent>> =>
    request('GET', `api/v1/feeds/${feed}`, { query: { ...q } }),
  /** The SSE stream: these feeds, optionally only some kinds (`lineage.*`), at least this severity. */
  streamUrl: (feeds: FeedName[], severity?: Severity, kinds?: string[]): string =>
    proxyUrl('api/v1/stream', { feeds: feeds.join(','), severity, kind: kinds?.length ? kinds : undefined }),
  planAction: (name: string, params?: Record<string, unknown>): Promise<ActionPlan> =>
    request('POST', `api/v1/actions/${encodeURIComponent(name)}/plan`, { body: params ? { params } : {} }),
  applyAction: (
    name: string,
    planId: string,
    reason: string,
    idempotencyKey = newIdempotencyKey()
  ): Promise<ActionRecord> =>
    request('POST', `api/v1/actions/${encodeURIComponent(name)}/apply`, {
      body: { plan_id: planId, reason },
      headers: { 'Idempotency-Key': idempotencyKey },
    }),
  action: (id: string): Promise<ActionRecord> => request('GET', `api/v1/actions/${encodeURIComponent(id)}`),
  actions: (limit = 20): Promise<Page<ActionRecord>> => request('GET', 'api/v1/actions', { query: { limit } }),
  incidents: (status?: string): Promise<Page<Incident>> => request('GET', 'api/v1/incidents', { query: { status } }),
  ackIncident: (id: string, note: string): Promise<Incident> =>
    request('POST', `api/v1/incidents/${encodeURIComponent(id)}/ack`, { body: { note } }),
  resolveIncident: (id: string, note: string): Promise<Incident> =>
    request('POST', `api/v1/incidents/${encodeURIComponent(id)}/resolve`, { body: { note } }),
  decision: (id: string): Promise<Decision> => request('GET', `api/v1/decisions/${encodeURIComponent(id)}`),
  agents: (cursor?: string | null): Promise<Page<Agent>> => request('GET', 'api/v1/agents', { query: { cursor } }),
  tasks: (q: TaskListQuery = {}): Promise<Page<Task>> => request('GET', 'api/v1/tasks', { query: { ...q } }),
  /** A task's attempts, oldest first: agent, times, outcome, error, the retry it scheduled. */
  taskAttempts: (id: number): Promise<{ items: TaskAttempt[] }> => request('GET', `api/v1/tasks/${id}/attempts`),
  createTask: (draft: TaskDraft): Promise<Task> => request('POST', 'api/v1/tasks', { body: draft }),
  audit: (cursor?: string | null, limit = 100): Promise<Page<AuditEntry>> =>
    request('GET', 'api/v1/audit', { query: { cursor, limit } }),
  /** The running safety policy: version, source, rules, and the last refused change of its file. */
  policy: (): Promise<PolicyResponse> => request('GET', 'api/v1/policy'),
  /** Dry run of a policy text (Editors): valid with warnings, or a `policy_invalid` error listing every problem. */
  validatePolicy: (content: string): Promise<PolicyValidation> =>
    request('POST', 'api/v1/policy/validate', { body: { content } }),
  /** Starts a backtest (Editors): the ended run (201) or the run still running (202); one runs at a time. */
  createBacktest: (body: BacktestRequest): Promise<BacktestRun> => request('POST', 'api/v1/backtests', { body }),
  backtests: (limit = 20): Promise<Page<BacktestRun>> => request('GET', 'api/v1/backtests', { query: { limit } }),
  backtest: (id: string): Promise<BacktestRun> => request('GET', `api/v1/backtests/${encodeURIComponent(id)}`),
  backtestResult: (id: string): Promise<BacktestResult> =>
    request('GET', `api/v1/backtests/${encodeURIComponent(id)}/result`),
  cancelBacktest: (id: string): Promise<BacktestRun> =>
    request('POST', `api/v1/backtests/${encodeURIComponent(id)}/cancel`, { body: {} }),
};

export type LookoutApi = typeof lookoutApi;

const diagnosticPath = (id: string, rest = ''): string => `api/v1/diagnostics/${encodeURIComponent(id)}${rest}`;

/** Diagnostics: viewers read (GET); writes go through the Editor-only proxy routes. */
export const diagnosticsApi = {
  list: (q: DiagnosticListQuery = {}): Promise<Page<Diagnostic>> =>
    request('GET', 'api/v1/diagnostics', { query: { ...q } }),
  get: (id: string): Promise<DiagnosticDetail> => request('GET', diagnosticPath(id)),
  analytics: (q: { since?: string; until?: string; diagnostic?: string } = {}): Promise<DiagnosticsAnalytics> =>
    request('GET', 'api/v1/diagnostics/analytics', { query: q }),
  create: (draft: DiagnosticDraft): Promise<Diagnostic> => request('POST', 'api/v1/diagnostics', { body: draft }),
  update: (id: string, patch: DiagnosticPatch): Promise<Diagnostic> =>
    request('PATCH', diagnosticPath(id), { body: patch }),
  comment: (id: string, body: string): Promise<DiagnosticComment> =>
    request('POST', diagnosticPath(id, '/comments'), { body: { body } }),
  assign: (id: string, assignee: string | null, note?: string): Promise<Diagnostic> =>
    request('POST', diagnosticPath(id, '/assign'), { body: note ? { assignee, note } : { assignee } }),
  transition: (id: string, to: DiagnosticStatus, note?: string): Promise<Diagnostic> =>
    request('POST', diagnosticPath(id, '/transition'), { body: note ? { to, note } : { to } }),
  reopen: (id: string, note?: string): Promise<Diagnostic> =>
    request('POST', diagnosticPath(id, '/reopen'), { body: note ? { note } : {} }),
};

export type DiagnosticsApi = typeof diagnosticsApi;
