import http from 'node:http';
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { Part, SidecarContext } from '../context';
import { type Access, type Principal, type TokenStore, allows } from './auth';
import { Authenticator } from './authenticator';
import { nonCanonicalReason } from './canonical-path';
import { ApiError, type ErrorBody, ERROR_CODES } from './errors';
import { ApiRouter, type ControlHook, bodyErrorOf, hasRequestBody, keepBodyError } from './api-router';
import { registerCoreRoutes } from './routers/core-routes';
import { registerIdentityRoutes } from './routers/identity-routes';
import { StreamHub } from './routers/stream-router';
import { StoreUnavailableError } from '../store/store-health';

/** A module that adds routes (control plane, agents, diagnostics plug in here). */
export type RouteModule = (api: ApiRouter) => void;

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Public routes do not look at credentials: every caller is this one there. */
const ANONYMOUS: Principal = {
  token: 'anonymous',
  tokenRole: 'viewer',
  role: 'viewer',
  actor: 'anonymous',
  key: 'anonymous',
  grafana: null,
};

/** A 404 that says which kind of miss it was, so a client can tell a wrong path from a missing resource. */
function noRoute(message: string, details: { reason: 'no_route' | 'non_canonical_path'; problem?: string }): ApiError {
  return new ApiError('not_found', message, details);
}

export class HttpServer implements Part {
  readonly name = 'http';
  readonly app = express();
  readonly api: ApiRouter;
  readonly stream: StreamHub;
  readonly auth: Authenticator;
  private server: http.Server | null = null;
  private controlHook: ControlHook | undefined;
  url = '';
  port = 0;

  constructor(
    private readonly ctx: SidecarContext,
    tokens: TokenStore,
    modules: RouteModule[] = []
  ) {
    const { app } = this;
    this.auth = new Authenticator(tokens, ctx.config.http.grafana, ctx.metrics);
    app.disable('x-powered-by');
    app.set('etag', false);
    app.set('trust proxy', false);
    // One spelling per route: `/Kill` is not `/kill`, `/api/v1/audit/` is not `/api/v1/audit`.
    app.set('case sensitive routing', true);
    app.set('strict routing', true);
    app.use(this.requestContext);
    app.use(this.canonicalOnly);
    const json = express.json({ limit: '1mb', strict: false, type: 'application/json' });
    // A refused body is answered by the matched route (so control routes audit it) or by the 404 below.
    app.use((req: Request, res: Response, next: NextFunction) => {
      if (!hasRequestBody(req)) return next();
      if (!req.is('application/json')) {
        const type = req.headers['content-type'];
        keepBodyError(
          req,
          new ApiError(
            'unsupported_media_type',
            type
              ? `a request body must be JSON (Content-Type: application/json), not ${type.slice(0, 100)}`
              : 'a request body must be JSON: send Content-Type: application/json',
            [{ path: 'headers.content-type', message: 'expected application/json', code: 'invalid_value' }]
          )
        );
        return next();
      }
      json(req, res, (err?: unknown) => {
        if (err !== undefined && err !== null) keepBodyError(req, err);
        next();
      });
    });
    const router = express.Router({ caseSensitive: true, strict: true });
    this.api = new ApiRouter(
      router,
      { authenticate: (req, access) => this.authenticate(req, access), traceOf: (req) => this.auth.traceOf(req) },
      () => this.controlHook
    );
    this.api.useForControl(
      rateLimit({
        windowMs: 60_000,
        limit: ctx.config.http.control_rate_limit_per_minute,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        // Per person: a token, or one Grafana user of the grafana token (`grafana:<login>@<org>`).
        keyGenerator: (req) => (req as Request & { principal?: Principal }).principal?.key ?? 'anonymous',
        handler: (_req, _res, next, options) => {
          const retryAfter = Math.ceil(options.windowMs / 1000);
          next(
            new ApiError(
              'rate_limited',
              'too many control requests',
              { retry_after_s: retryAfter },
              { 'Retry-After': String(retryAfter) }
            )
          );
        },
      })
    );
    // A control call needs the store (its record, the audit row): refused up front while writes fail.
    this.api.useForControl((_req, _res, next) => {
      if (ctx.storeHealth.writesFailing()) next(this.storeUnavailable(ctx.storeHealth.unavailable()));
      else next();
    });
    this.api.openapi.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
    this.stream = new StreamHub(ctx);
    registerCoreRoutes(this.api, ctx, this.stream, () => this.openApiDocument());
    registerIdentityRoutes(this.api, ctx);
    for (const m of modules) m(this.api);
    app.use(router);
    app.use((req: Request, _res: Response, next: NextFunction) => {
      const bodyError = bodyErrorOf(req);
      if (bodyError !== undefined) return next(bodyError);
      next(noRoute(`no route ${req.method} ${req.path}`, { reason: 'no_route' }));
    });
    app.use(this.errorHandler);
  }

  /** The audit log (control plane) listens to every control call through this. */
  setControlHook(hook: ControlHook): void {
    this.controlHook = hook;
  }

  openApiDocument(): object {
    return new OpenApiGeneratorV31(this.api.openapi.definitions).generateDocument({
      openapi: '3.1.0',
      info: {
        title: 'Lookout exporter sidecar API',
        version: this.ctx.version,
        description:
          'Read, stream and control API of the Lookout sidecar. Errors: `{ error: { code, message, details } }`.',
      },
      servers: [{ url: '/' }],
    });
  }

  /** The caller, checked against a route's access level: 401 without (valid) credentials, 403 below it. */
  private async authenticate(req: Request, access: Access): Promise<Principal> {
    if (access === 'public') return ANONYMOUS;
    const principal = await this.auth.principalOf(req);
    if (!principal) {
      throw new ApiError('unauthenticated', 'a bearer token is required (Authorization: Bearer <token>)', undefined, {
        'WWW-Authenticate': 'Bearer realm="lookout"',
      });
    }
    if (!allows(access, principal.role)) {
      const who = principal.grafana ? `${principal.actor} (Grafana ${principal.grafana.orgRole})` : principal.actor;
      throw new ApiError('forbidden', `${who} acts with role ${principal.role}, and this needs ${access}`);
    }
    return principal;
  }

  /**
   * Refuses, before routing and before authentication, a request whose path is not canonical (see
   * canonical-path.ts) and every OPTIONS request: the sidecar serves no CORS, and an OPTIONS answer
   * listing methods would tell anyone which routes exist.
   */
  private readonly canonicalOnly = (req: Request, _res: Response, next: NextFunction): void => {
    const problem = nonCanonicalReason(req.url);
    if (problem) {
      return next(
        noRoute(`no route: the path is not canonical (${problem})`, { reason: 'non_canonical_path', problem })
      );
    }
    if (req.method === 'OPTIONS') return next(noRoute('no route OPTIONS ' + req.path, { reason: 'no_route' }));
    next();
  };

  private readonly requestContext = (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    res.setHeader('X-Request-Id', id);
    (res.locals as { requestId?: string }).requestId = id;
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (res.locals as { route?: string }).route ?? 'unmatched';
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      this.ctx.core.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      this.ctx.core.httpSeconds.observe({ method: req.method, route }, seconds);
      // Successful reads are routine (dashboards poll them): debug. Writes, refusals and failures stay visible.
      const read = req.method === 'GET' || req.method === 'HEAD';
      const level = res.statusCode >= 500 ? 'error' : read && res.statusCode < 400 ? 'debug' : 'info';
      this.ctx.log[level](
        { req_id: id, method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1000) },
        'request'
      );
    });
    next();
  };

  /** 503 store_unavailable: the reason, and when to try again (the store's recovery probe interval). */
  private storeUnavailable(err: StoreUnavailableError): ApiError {
    const retryAfter = Math.max(1, Math.ceil(this.ctx.config.store.check_interval_ms / 1000));
    return new ApiError(
      'store_unavailable',
      err.message,
      { reason: err.reason, retry_after_s: retryAfter },
      { 'Retry-After': String(retryAfter) }
    );
  }

  private readonly errorHandler = (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    let apiErr: ApiError;
    const e = err as { type?: string; status?: number; message?: string };
    if (err instanceof ApiError) apiErr = err;
    else if (err instanceof StoreUnavailableError) apiErr = this.storeUnavailable(err);
    else if (this.ctx.storeHealth.report(err, `http ${req.method} ${req.path}`))
      apiErr = this.storeUnavailable(this.ctx.storeHealth.unavailable(err));
    else if (e?.type === 'entity.parse.failed')
      apiErr = new ApiError('invalid_json', `request body is not valid JSON: ${e.message}`);
    else if (e?.type === 'entity.too.large') apiErr = new ApiError('payload_too_large', 'request body exceeds 1 MB');
    else if (e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported')
      apiErr = new ApiError('unsupported_media_type', e.message ?? 'unsupported body encoding');
    else if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
      // body-parser and friends: charset, encoding, aborted requests are the client's doing.
      apiErr = new ApiError('invalid_request', e.message ?? 'bad request');
    } else {
      this.ctx.log.error({ err, req_id: res.locals.requestId, path: req.path }, 'unhandled error');
      apiErr = new ApiError('internal', 'internal error; see the sidecar log for this request id');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [k, v] of Object.entries(apiErr.headers ?? {})) res.setHeader(k, v);
    const body: ErrorBody = {
      error: { code: apiErr.code, message: apiErr.message, request_id: res.locals.requestId as string },
    };
    if (apiErr.details !== undefined) body.error.details = apiErr.details;
    res.status(ERROR_CODES[apiErr.code].status).json(body);
  };

  async start(): Promise<void> {
    const server = http.createServer(this.app);
    server.keepAliveTimeout = 65_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.ctx.config.port, this.ctx.config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    this.port = addr.port;
    const host = addr.address === '0.0.0.0' || addr.address === '::' ? '127.0.0.1' : addr.address;
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
    this.stream.start();
  }

  async stop(): Promise<void> {
    this.stream.stop();
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      // SSE streams never go idle: end them so close() can finish.
      setTimeout(() => server.closeAllConnections(), 2000).unref();
    });
  }
}
