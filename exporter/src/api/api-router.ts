import type { NextFunction, Request, Response, Router } from 'express';
import { z } from 'zod';
import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { type Access, type Principal } from './auth';
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
  /** Null when the request was refused before a token was accepted (401). */
  principal: Principal | null;
  /** Route parameters as matched (express resets req.params once an error leaves the route). */
  params: Record<string, string>;
  req: Request;
  status: number;
  body: unknown;
}) => void;

export const toOpenApiPath = (p: string): string => p.replace(/:([A-Za-z_]+)/g, '{$1}');

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
 * Declares routes once: express handler, zod validation of params/query/body, role check,
 * OpenAPI entry and the route list the docs test reads.
 */
export class ApiRouter {
  readonly openapi = new OpenAPIRegistry();
  readonly routes: RouteInfo[] = [];
  private readonly controlMiddleware: ((req: Request, res: Response, next: NextFunction) => void)[] = [];

  constructor(
    private readonly router: Router,
    private readonly authenticate: (req: Request, access: Access) => Principal,
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
      const principal = this.authenticate(req, spec.access);
      const params = parseOr(spec.params, req.params, 'params');
      const query = parseOr(spec.query, req.query, 'query');
      const body = spec.body ? parseOr(spec.body, req.body ?? {}, 'body') : req.body;
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
                  req,
                  params,
                  status: res.statusCode,
                  body: (res.locals as { body?: unknown }).body,
                });
              });
            }
            const bodyError = bodyErrorOf(req);
            if (bodyError !== undefined) {
              // A refused body still answers first (as before routing), but the audit names the caller when it can.
              try {
                (req as Request & { principal?: Principal }).principal = this.authenticate(req, spec.access);
              } catch {
                // unauthenticated: audited as anonymous
              }
              next(bodyError);
              return;
            }
            // Authenticate before the limiter so it can key on the token and 401 comes first.
            try {
              (req as Request & { principal?: Principal }).principal = this.authenticate(req, spec.access);
              next();
            } catch (err) {
              next(err);
            }
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
