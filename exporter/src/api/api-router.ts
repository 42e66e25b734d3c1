import type { NextFunction, Request, Response, Router } from 'express';
import { z } from 'zod';
import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { type Access, type CallerTrace, type Principal } from './auth';
import { ApiError, invalid } from './errors';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  method: Method;
  /** Express path, e.g. `/api/v1/actions/:name/plan`. */
  path: string;
  access: Access;
  summary: string;
  tags: string[];
  params?: P;
  query?: Q;
  body?: B;
  /** Documented response (status → schema); `null` for non-JSON bodies. */
  responses: Record<number, { description: string; schema?: z.ZodType | null; contentType?: string }>;
  /** Listed in docs but hidden from the OpenAPI document (classic aliases). */
  alias?: boolean;
  /** Control calls are rate limited and audited. Defaults to true for non-GET routes that need a role. */
  control?: boolean;
}

export interface HandlerInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal;
  req: Request;
  res: Response;
}

export type Handler<P, Q, B> = (input: HandlerInput<P, Q, B>) => unknown;

export interface RouteInfo {
  method: Method;
  path: string;
  access: Access;
  summary: string;
  alias: boolean;
  control: boolean;
}

/** Called for every control request after it ends (audit). */
export type ControlHook = (info: {
  route: RouteInfo;
  /** Null when the request was refused (401, 403) before a principal was accepted. */
  principal: Principal | null;
  /** What is known about the caller, refused ones included (token, Grafana login, org, role). */
  caller: CallerTrace;
  /** Route parameters as matched (express resets req.params once an error leaves the route). */
  params: Record<string, string>;
  req: Request;
  status: number;
  body: unknown;
}) => void;

/** `/x/:id` → `/x/{id}`; a wildcard `*rest` (the rest of the path) → `{rest}`. */
export const toOpenApiPath = (p: string): string => p.replace(/[:*]([A-Za-z_]+)/g, '{$1}');

const BODY_ERROR = Symbol('lookout.bodyError');
type WithBodyError = Request & { [BODY_ERROR]?: unknown };

/**
 * The JSON body parser runs before routing, so its refusals (malformed JSON, too large) are kept
 * on the request instead of ending it there: a control route can then attach the audit hook first.
 */
export function keepBodyError(req: Request, err: unknown): void {
  (req as WithBodyError)[BODY_ERROR] = err;
}

/** The body parser's refusal kept by `keepBodyError`, if any; it is answered before anything else. */
export function bodyErrorOf(req: Request): unknown {
  return (req as WithBodyError)[BODY_ERROR];
}

/**
 * Whether the request carries a body: chunked, or a non-zero Content-Length. Only a request without
 * one may stand for `{}`; a body that is there is JSON and an object, or it is refused.
 */
export function hasRequestBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const len = req.headers['content-length'];
  return len !== undefined && Number(len) > 0;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The body a route's schema validates: `{}` when none was sent, the parsed object otherwise. */
function bodyFor(req: Request, takesBody: boolean): unknown {
  if (!hasRequestBody(req)) return {};
  const body: unknown = req.body;
  if (!isPlainObject(body)) {
    throw new ApiError('invalid_request', 'body: a JSON object is required', [
      {
        path: 'body',
        message: `expected a JSON object, got ${body === null ? 'null' : Array.isArray(body) ? 'an array' : typeof body}`,
        code: 'invalid_type',
      },
    ]);
  }
  if (!takesBody && Object.keys(body).length > 0) {
    throw new ApiError('invalid_request', 'body: this route takes no request body', [
      { path: 'body', message: 'this route takes no request body', code: 'unrecognized_keys' },
    ]);
  }
  return body;
}

/** How routes learn who is calling: the HTTP server's authenticator. */
export interface RouteAuth {
  /** The principal for a route of this access level; throws ApiError (401, 403, 503). */
  authenticate(req: Request, access: Access): Promise<Principal>;
  /** What is known about the caller, after a refusal too. */
  traceOf(req: Request): CallerTrace;
}

/**
 * Declares routes once: express handler, zod validation of params/query/body, role check,
 * OpenAPI entry and the route list the docs test reads.
 */
export class ApiRouter {
  readonly openapi = new OpenAPIRegistry();
  readonly routes: RouteInfo[] = [];
  private readonly controlMiddleware: ((req: Request, res: Response, next: NextFunction) => void)[] = [];

  constructor(
    private readonly router: Router,
    private readonly auth: RouteAuth,
    private readonly controlHook: () => ControlHook | undefined
  ) {}

  /** Middleware run before every control route (the rate limiter). */
  useForControl(mw: (req: Request, res: Response, next: NextFunction) => void): void {
    this.controlMiddleware.push(mw);
  }

  add<
    P extends z.ZodType = z.ZodObject<Record<string, never>>,
    Q extends z.ZodType = z.ZodObject<Record<string, never>>,
    B extends z.ZodType = z.ZodUnknown,
  >(spec: RouteSpec<P, Q, B>, handler: Handler<z.infer<P>, z.infer<Q>, z.infer<B>>): void {
    const control = spec.control ?? (spec.method !== 'get' && spec.access !== 'public');
    const info: RouteInfo = {
      method: spec.method,
      path: spec.path,
      access: spec.access,
      summary: spec.summary,
      alias: !!spec.alias,
      control,
    };
    this.routes.push(info);
    if (!spec.alias) this.register(spec);
    const run = async (req: Request, res: Response): Promise<void> => {
      (res.locals as { route?: string }).route = spec.path;
      const bodyError = bodyErrorOf(req);
      if (bodyError !== undefined) throw bodyError;
      const principal = await this.auth.authenticate(req, spec.access);
      const params = parseOr(spec.params, req.params, 'params');
      const query = parseOr(spec.query, req.query, 'query');
      const rawBody = bodyFor(req, spec.body !== undefined);
      const body = spec.body ? parseOr(spec.body, rawBody, 'body') : undefined;
      const result = await handler({
        params: params as z.infer<P>,
        query: query as z.infer<Q>,
        body: body as z.infer<B>,
        principal,
        req,
        res,
      });
      if (result !== undefined && !res.headersSent) {
        (res.locals as { body?: unknown }).body = result;
        res.json(result);
      }
    };
    const chain = control
      ? [
          (req: Request, res: Response, next: NextFunction) => {
            // Every control call reaches the hook (audit), refused ones (400, 401, 403, 409, 429) included.
            const hook = this.controlHook();
            if (hook) {
              const json = res.json.bind(res);
              res.json = (b: unknown) => {
                (res.locals as { body?: unknown }).body = b;
                return json(b);
              };
              const params = { ...(req.params as Record<string, string>) };
              res.on('finish', () => {
                const principal = (req as Request & { principal?: Principal }).principal ?? null;
                hook({
                  route: info,
                  principal,
                  caller: this.auth.traceOf(req),
                  req,
                  params,
                  status: res.statusCode,
                  body: (res.locals as { body?: unknown }).body,
                });
              });
            }
            // Authenticate before the limiter so it can key on the person and 401 comes first. A refused
            // body still answers first (as before routing), but the audit names the caller when it can.
            this.auth.authenticate(req, spec.access).then(
              (principal) => {
                (req as Request & { principal?: Principal }).principal = principal;
                const bodyError = bodyErrorOf(req);
                next(bodyError !== undefined ? bodyError : undefined);
              },
              (err: unknown) => {
                const bodyError = bodyErrorOf(req);
                next(bodyError !== undefined ? bodyError : err);
              }
            );
          },
          ...this.controlMiddleware,
        ]
      : [];
    this.router[spec.method](spec.path, ...chain, run);
  }

  private register(spec: RouteSpec): void {
    const responses: Record<string, { description: string; content?: Record<string, { schema: z.ZodType }> }> = {};
    for (const [status, r] of Object.entries(spec.responses)) {
      responses[status] = r.schema
        ? { description: r.description, content: { [r.contentType ?? 'application/json']: { schema: r.schema } } }
        : { description: r.description };
    }
    const request: Record<string, unknown> = {};
    if (spec.params) request.params = spec.params;
    if (spec.query) request.query = spec.query;
    if (spec.body) request.body = { content: { 'application/json': { schema: spec.body } } };
    this.openapi.registerPath({
      method: spec.method,
      path: toOpenApiPath(spec.path),
      summary: spec.summary,
      tags: spec.tags,
      security: spec.access === 'public' ? [] : [{ bearer: [] }],
      description: `Access: ${spec.access}.`,
      request: request as never,
      responses: responses as never,
    });
  }
}

function parseOr(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return value;
  const r = schema.safeParse(value);
  if (!r.success) throw invalid(where, r.error);
  return r.data;
}

export function notFound(what: string): ApiError {
  return new ApiError('not_found', `${what} not found`);
}
