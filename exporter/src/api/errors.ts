import type { z } from 'zod';

/**
 * The error-code catalogue. Every code the API can answer with is here, with its status and
 * meaning; docs/errors.md lists the same codes and a test fails when they drift.
 */
export const ERROR_CODES = {
  invalid_request: {
    status: 400,
    description: 'A parameter, query or body field is invalid; details list the field paths',
  },
  invalid_json: { status: 400, description: 'The request body is not valid JSON' },
  policy_invalid: {
    status: 400,
    description: 'The policy text does not validate; details list every problem with its path in the policy',
  },
  payload_too_large: { status: 413, description: 'The request body exceeds the size limit' },
  unsupported_media_type: {
    status: 415,
    description: 'A request body that is not JSON (Content-Type other than application/json, or none)',
  },
  unauthenticated: { status: 401, description: 'No bearer token, or an unknown one' },
  grafana_context_missing: {
    status: 401,
    description: 'A grafana token without the X-Grafana-Context header that Grafana sets on every proxied request',
  },
  grafana_context_invalid: {
    status: 401,
    description: 'X-Grafana-Context is not the JSON of a signed-in Grafana user (login, org id, org role)',
  },
  grafana_id_token_missing: {
    status: 401,
    description: 'http.grafana.require_id_token is set and the request carries no X-Grafana-Id',
  },
  grafana_id_token_invalid: {
    status: 401,
    description:
      "X-Grafana-Id is not a valid token signed by Grafana's keys, has expired, or names someone else than the context",
  },
  forbidden: { status: 403, description: 'The token is valid but its role may not do this' },
  grafana_role_refused: {
    status: 403,
    description: 'The Grafana user may not use the sidecar: org role None or unknown, anonymous, or no login',
  },
  not_found: {
    status: 404,
    description: 'No such route or resource; also every non-canonical path (see api.md, Canonical paths)',
  },
  conflict: { status: 409, description: 'The resource is not in a state that allows this' },
  plan_stale: { status: 409, description: 'The state changed since the plan was made; plan again' },
  plan_expired: { status: 409, description: 'The plan is older than its validity; plan again' },
  idempotency_mismatch: { status: 409, description: 'The Idempotency-Key was used before with a different body' },
  interlock: { status: 409, description: 'An interlock refuses the action (kill switch, cooldown, open incident)' },
  invalid_transition: {
    status: 409,
    description: 'The status transition is not allowed; details list the allowed ones',
  },
  fleet_not_enabled: {
    status: 409,
    description: 'A fleet route on a sidecar whose fleet mode is off (fleet.enabled)',
  },
  not_fleet_hub: {
    status: 409,
    description: 'A route the fleet hub serves, asked of a fleet member that is not the hub (fleet.hub); ask the hub',
  },
  backtest_busy: {
    status: 409,
    description: 'A backtest is already running (one at a time); details name it; cancel it or retry after Retry-After',
  },
  backtest_no_result: {
    status: 409,
    description: 'The backtest has no result: it is still running, was cancelled or failed (its status says which)',
  },
  backtest_range_too_long: {
    status: 400,
    description:
      'The backtest range is longer than backtest.max_range or has more ticks than backtest.max_ticks; details give the limits',
  },
  backtest_unknown_signal: {
    status: 400,
    description:
      'A rule to backtest reads a signal that is neither declared nor ever received; details list each with its path',
  },
  rate_limited: { status: 429, description: 'Too many control requests; retry after the Retry-After seconds' },
  not_ready: { status: 503, description: 'A part the request needs is not ready' },
  fleet_unavailable: {
    status: 503,
    description:
      'The fleet KV buckets or stream cannot be reached (NATS down, the cluster without quorum); retry after Retry-After',
  },
  node_unreachable: {
    status: 502,
    description: 'The hub could not reach the node it forwards to (down, or its advertised fleet.url is wrong)',
  },
  store_unavailable: {
    status: 503,
    description:
      'The store cannot write (disk full, read-only data folder, I/O error) or is over its size limit; details name the reason; retry after Retry-After',
  },
  internal: {
    status: 500,
    description: 'A fault in the sidecar itself (never for bad input); logged with the request id',
  },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown; request_id?: string };
}

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>
  ) {
    super(message);
    this.status = ERROR_CODES[code].status;
  }
}

export interface FieldProblem {
  path: string;
  message: string;
  code: string;
}

/** zod issues → `[{ path: 'query.limit', message, code }]`, prefixed with where they came from. */
export function fieldProblems(where: string, error: z.ZodError): FieldProblem[] {
  return error.issues.map((i) => ({
    path: [where, ...i.path.map(String)].filter(Boolean).join('.'),
    message: i.message,
    code: i.code,
  }));
}

export function invalid(where: string, error: z.ZodError): ApiError {
  const problems = fieldProblems(where, error);
  const first = problems[0];
  return new ApiError(
    'invalid_request',
    first
      ? `${first.path}: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`
      : 'invalid request',
    problems
  );
}
