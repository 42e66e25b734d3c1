import { type BackendSrv, type BackendSrvRequest, config, type FetchResponse, setBackendSrv } from '@grafana/runtime';
import { from, Observable } from 'rxjs';
import { PROXY_BASE } from '../constants';
import type { OrgRole } from '../data/roles';
import { contractProblems, reportViolation, routeOf } from './contract';

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: Record<string, string>;
}

export type Handler = (call: RecordedCall) => unknown | Promise<unknown>;

/** An HTTP failure as Grafana's backend service rejects it. */
export class HttpFailure {
  constructor(
    readonly status: number,
    readonly data: unknown
  ) {}
}

/** Reports a call to a route the sidecar does not have, or an answer it could not send (docs/openapi.json). */
function checkAgainstContract(call: RecordedCall, data: unknown): void {
  const route = routeOf(call.method, call.path);
  if (!route) {
    reportViolation(`${call.method} ${call.path}: no such route in docs/openapi.json`);
    return;
  }
  const problems = contractProblems(data, route);
  if (problems.length > 0) {
    reportViolation(`fake answer to ${call.method} ${call.path} is not what the sidecar sends: ${problems.join('; ')}`);
  }
}

/**
 * Replaces Grafana's backend service (the only boundary the plugin talks to) with handlers keyed by
 * `"<METHOD> <sidecar path>"`, e.g. `"GET api/v1/status"`. Unknown routes answer 404 like the sidecar. Every
 * successful answer is checked against the sidecar's OpenAPI document; jest-setup fails the test on a mismatch.
 */
export function fakeBackend(handlers: Record<string, Handler>): { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const fetch = (req: BackendSrvRequest): Observable<FetchResponse<unknown>> => {
    const url = new URL(req.url, 'http://grafana.local');
    const viaProxy = url.pathname.startsWith(PROXY_BASE);
    const path = viaProxy ? url.pathname.slice(PROXY_BASE.length + 1) : url.pathname;
    const call: RecordedCall = {
      method: req.method ?? 'GET',
      path,
      query: Object.fromEntries(url.searchParams.entries()),
      body: req.data,
      headers: (req.headers ?? {}) as Record<string, string>,
    };
    calls.push(call);
    const handler = handlers[`${call.method} ${path}`];
    const run = async (): Promise<FetchResponse<unknown>> => {
      if (!handler) {
        throw { status: 404, data: { error: { code: 'not_found', message: `no route ${call.method} ${path}` } } };
      }
      try {
        const data = await handler(call);
        if (viaProxy) {
          // Only plugin-proxy calls reach the sidecar; Grafana's own API (plugin settings) is not its contract.
          checkAgainstContract(call, data);
        }
        return {
          data,
          status: 200,
          ok: true,
          headers: new Headers(),
          redirected: false,
          statusText: 'OK',
          type: 'basic',
          url: req.url,
          config: req,
        };
      } catch (e) {
        if (e instanceof HttpFailure) {
          throw { status: e.status, data: e.data, statusText: 'error' };
        }
        throw e;
      }
    };
    return from(run());
  };
  setBackendSrv({ fetch } as unknown as BackendSrv);
  return { calls };
}

export function setOrgRole(role: OrgRole): void {
  const boot = config.bootData as unknown as { user?: Record<string, unknown> };
  boot.user = { ...(boot.user ?? {}), orgRole: role, login: 'tester' };
}
