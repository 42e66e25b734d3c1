import type { ApiErrorBody, DiagnosticStatus } from './contract';

/**
 * The `details` of a 400 `invalid_request`, one entry per field, e.g. `{ path: 'body.title', message, code }`
 * (docs/errors.md; the OpenAPI document leaves `details` open).
 */
export interface FieldProblem {
  path: string;
  message: string;
  code?: string;
}

/** The `details` of a 409 `invalid_transition` (docs/errors.md). */
export interface InvalidTransitionDetails {
  from: DiagnosticStatus;
  to: DiagnosticStatus;
  allowed: DiagnosticStatus[];
  reopen: boolean;
}

/** A failed sidecar (or plugin-proxy) call, with the sidecar's error code when it sent one. */
export class LookoutApiError extends Error {
  override name = 'LookoutApiError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly details?: unknown,
    options?: { cause?: unknown }
  ) {
    super(message, options);
  }

  /** True when Grafana's proxy (route `reqRole`) or the sidecar refused the caller. */
  get isForbidden(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

function isApiErrorBody(body: unknown): body is ApiErrorBody {
  return typeof body === 'object' && body !== null && typeof (body as ApiErrorBody).error?.message === 'string';
}

/** Normalises what `getBackendSrv().fetch` rejects with (a FetchError) into a LookoutApiError. */
export function toApiError(err: unknown): LookoutApiError {
  if (err instanceof LookoutApiError) {
    return err;
  }
  const e = (err ?? {}) as { status?: number; data?: unknown; statusText?: string; message?: string };
  const status = typeof e.status === 'number' ? e.status : 0;
  if (isApiErrorBody(e.data)) {
    return new LookoutApiError(e.data.error.message, status, e.data.error.code, e.data.error.details, { cause: err });
  }
  // Grafana's own proxy errors look like { message: 'plugin proxy route access denied' }.
  const grafanaMessage = (e.data as { message?: string } | undefined)?.message;
  const message = grafanaMessage ?? e.statusText ?? e.message ?? 'Request to the Lookout sidecar failed';
  const code = status === 403 ? 'forbidden' : status === 0 ? 'network' : `http_${status}`;
  return new LookoutApiError(message || `HTTP ${status}`, status, code, undefined, { cause: err });
}
