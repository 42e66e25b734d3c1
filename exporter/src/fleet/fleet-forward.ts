import { Readable } from 'node:stream';
import type { Request, Response } from 'express';
import type { Principal } from '../api/auth';
import { GRAFANA_CONTEXT_HEADER, GRAFANA_ID_HEADER } from '../api/grafana-context';
import type { FleetConfig } from './fleet-config';
import { FleetForbiddenError, FleetNodeNotFoundError, FleetNodeUnreachableError } from './fleet-errors';
import type { FleetView } from './fleet-view';

/** The Grafana org role that maps back to exactly the role the person acts with on the hub. */
const ORG_ROLE = { viewer: 'Viewer', operator: 'Editor', admin: 'Admin' } as const;

/** Request headers a forwarded request keeps (everything else, cookies and credentials included, is dropped). */
const PASS_REQUEST = ['accept', 'content-type', 'idempotency-key', 'last-event-id', 'if-none-match', 'x-request-id'];
/** Response headers passed back. */
const PASS_RESPONSE = [
  'content-type',
  'cache-control',
  'etag',
  'retry-after',
  'idempotent-replayed',
  'content-security-policy',
  'x-content-type-options',
  'x-accel-buffering',
  'www-authenticate',
];

/**
 * X-Grafana-Context for the node: the person as the hub knows them, with the org role that maps to the
 * role they act with *here* — already mapped, capped by this hub's `role_ceiling`, never raised (no
 * server-admin flag is passed on). The node maps it again and applies its own ceiling, so a hop can
 * only keep a role or lower it.
 */
export function forwardedContext(p: Principal, hub: string): string {
  const role = p.role;
  // Only people are forwarded: agents and Alertmanager act on the sidecar they call, never through the hub.
  if (role === 'agent' || role === 'alertmanager') {
    throw new FleetForbiddenError(`${role} tokens are not forwarded to fleet nodes`);
  }
  const g = p.grafana;
  return JSON.stringify({
    Login: g ? g.login : `${hub}:${p.token}`,
    OrgID: g ? g.orgId : 1,
    OrgRole: ORG_ROLE[role],
    ...(g?.userId != null ? { UserID: g.userId } : {}),
    ...(g?.userUid ? { UserUID: g.userUid } : {}),
    IsGrafanaAdmin: false,
    IsAnonymous: false,
  });
}

/**
 * Forwards `/api/v1/fleet/nodes/<node>/api/v1/<path>` to `<node url>/api/v1/<path>` with the fleet's
 * node token (a grafana-role token the node accepts) and the person's forwarded context, so the node
 * enforces the person's role on its own routes. Streams the answer back as it comes (SSE included).
 */
export class FleetForwarder {
  constructor(
    private readonly cfg: FleetConfig,
    private readonly hub: string,
    private readonly view: FleetView
  ) {}

  target(node: string): string {
    const n = this.view.node(node);
    if (!n) throw new FleetNodeNotFoundError(`node ${node} is not in the fleet`);
    if (!n.record.url) throw new FleetNodeNotFoundError(`node ${node} advertises no URL (fleet.url) to forward to`);
    return n.record.url.replace(/\/+$/, '');
  }

  async forward(req: Request, res: Response, node: string, rest: string[], principal: Principal): Promise<void> {
    if (!this.cfg.node_token) {
      throw new FleetNodeUnreachableError('the hub has no fleet.node_token: it cannot forward requests to nodes');
    }
    const base = this.target(node);
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
    const url = `${base}/api/v1/${rest.map(encodeURIComponent).join('/')}${query}`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.cfg.node_token}`,
      [GRAFANA_CONTEXT_HEADER]: forwardedContext(principal, this.hub),
    };
    // A verified ID token names the same person: the node may check it against Grafana's keys too.
    const id = req.headers[GRAFANA_ID_HEADER];
    if (principal.grafana?.idToken === 'verified' && typeof id === 'string') headers[GRAFANA_ID_HEADER] = id;
    for (const h of PASS_REQUEST) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && req.body !== undefined;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.cfg.forward_timeout_ms);
    res.on('close', () => controller.abort());
    let upstream: globalThis.Response;
    try {
      upstream = await fetch(url, {
        method: req.method,
        headers,
        body: hasBody ? JSON.stringify(req.body) : undefined,
        signal: controller.signal,
        redirect: 'manual',
      });
    } catch (err) {
      throw new FleetNodeUnreachableError(`node ${node} at ${base} did not answer: ${(err as Error).message}`);
    } finally {
      // Only the wait for the answer's head is bounded: a stream (SSE) may run for as long as it is read.
      clearTimeout(timer);
    }
    res.status(upstream.status);
    for (const h of PASS_RESPONSE) {
      const v = upstream.headers.get(h);
      if (v !== null) res.setHeader(h, v);
    }
    res.setHeader('X-Lookout-Node', node);
    if (!upstream.body) {
      res.end();
      return;
    }
    if ((upstream.headers.get('content-type') ?? '').startsWith('text/event-stream')) res.flushHeaders();
    await new Promise<void>((resolve) => {
      const body = Readable.fromWeb(upstream.body as import('node:stream/web').ReadableStream<Uint8Array>);
      body.on('error', () => {
        res.end();
        resolve();
      });
      body.on('end', resolve);
      res.on('close', () => {
        body.destroy();
        resolve();
      });
      body.pipe(res);
    });
  }
}
