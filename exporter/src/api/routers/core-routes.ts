import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { SidecarContext } from '../../context';
import { EVENT_SOURCES, FEED_NAMES, FEEDS, type FeedName, eventSourceSchema, severitySchema } from '../../events/event';
import { type ApiRouter, notFound } from '../api-router';
import { ApiError } from '../errors';
import { pageBySeq } from '../paging';
import {
  csvList,
  encodeCursor,
  eventFilterQuery,
  eventSchema,
  isoTime,
  limitParam,
  pageOf,
  stdErrors,
} from '../schemas';
import type { StreamHub } from './stream-router';
import type { Artifact } from '../../store/artifacts-repository';
import type { Principal } from '../auth';
import type { Request, Response } from 'express';

const generationSchema = z.looseObject({
  id: z.string(),
  parent: z.string().nullable(),
  created_at: z.string().nullable(),
  status: z.enum(['candidate', 'canary', 'active', 'retired', 'failed']),
  kpis: z.record(z.string(), z.number()),
  artifacts: z.array(z.string()),
  notes: z.string().optional(),
});

// Unknown fields of the workload's lineage_index.json are kept and served (ARCHITECTURE.md §3).
const lineageSchema = z.looseObject({
  model: z.string().nullable(),
  generations: z.array(generationSchema),
  active: z.string().nullable(),
  canary: z.string().nullable(),
  updated_at: z.string().nullable(),
  at: z.string().optional(),
});

const artifactSchema = z.object({
  id: z.string(),
  generation: z.string(),
  name: z.string(),
  kind: z.string(),
  title: z.string().nullable(),
  metric: z.string().nullable(),
  content_type: z.string(),
  size: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
  etag: z.string(),
  url: z.string(),
});

const statusSchema = z.looseObject({
  version: z.string(),
  node: z.string(),
  started_at: z.string(),
  uptime_s: z.number(),
  auth: z
    .object({
      actor: z.string(),
      role: z.string(),
      token: z.string().describe('The token name'),
      token_role: z.string(),
      grafana_user: z.string().nullable().describe('The Grafana login a grafana token acts for'),
      grafana_org_id: z.number().nullable(),
    })
    .describe('Who you are (GET /api/v1/whoami says more)'),
  events: z.object({ stored: z.number(), last_id: z.string().nullable() }),
  lineage: z.object({
    model: z.string().nullable(),
    active: z.string().nullable(),
    canary: z.string().nullable(),
    generations: z.number(),
  }),
  // The sections the Grafana plugins read; the others (bus, watcher, agents, ...) stay open-ended.
  kill_switch: z.object({
    engaged: z.boolean(),
    actor: z.string().nullable(),
    reason: z.string().nullable(),
    since: z.string().nullable(),
    fail_safe: z.string().optional(),
  }),
  scheduler: z.looseObject({
    paused: z.boolean(),
    actor: z.string().nullable().describe('Who paused or resumed it last (a person, a token, or guardian)'),
    reason: z.string().nullable(),
    since: z.string().nullable(),
  }),
  incidents: z.looseObject({ open: z.number() }),
  workload_telemetry: z
    .object({
      newest_ts: z.string().nullable().describe('When the newest snapshot was received'),
      age_s: z.number().nullable().describe('Seconds since then; null before the first snapshot'),
      ttl_s: z.number().describe('telemetry.ttl_ms in seconds'),
      stale: z.boolean().describe('No snapshot for longer than the TTL: the workload series are not exported'),
      series: z.object({ fresh: z.number(), stale: z.number() }),
      series_limit: z.number(),
    })
    .describe('How fresh the workload telemetry is'),
  policy: z
    .looseObject({
      version: z.string(),
      source: z.object({ kind: z.enum(['file', 'config']), path: z.string().nullable() }),
      loaded_at: z.string(),
      last_error: z.object({ at: z.string(), problems: z.number() }).nullable(),
    })
    .describe('The running policy (GET /api/v1/policy has all of it)'),
});

/** A stream kind filter: a dotted kind, or a family ending in `.*`. */
const STREAM_KIND_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?$/;
const STREAM_KIND_MAX = 100;
const STREAM_KINDS_MAX = 20;

const atQuery = z.strictObject({
  at: z
    .union([isoTime, z.string().regex(/^[0-9]{10,13}$/, 'epoch milliseconds or an ISO time')])
    .optional()
    .transform((v) =>
      v === undefined ? undefined : /^[0-9]+$/.test(v) ? new Date(Number(v)).toISOString() : new Date(v).toISOString()
    ),
});

/** The artifact listing's cursor: base64url of the last artifact id served (24 hex digits). */
const artifactCursor = z
  .string()
  .max(200)
  .transform((s, ctx) => {
    const id = Buffer.from(s, 'base64url').toString('utf8');
    if (!/^[0-9a-f]{24}$/.test(id) || encodeCursor(id) !== s) {
      ctx.addIssue({ code: 'custom', message: 'not a cursor returned by this API' });
      return z.NEVER;
    }
    return id;
  });

const artifactIdParam = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'an artifact id from the listing'),
});

function artifactView(a: Artifact): z.infer<typeof artifactSchema> {
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return {
    id: a.id,
    generation: a.generation,
    name: a.name,
    kind: str(a.meta['kind']) ?? path.extname(a.name).slice(1),
    title: str(a.meta['title']),
    metric: str(a.meta['metric']),
    content_type: a.content_type,
    size: a.size,
    created_at: str(a.meta['created_at']) ?? a.created_at,
    updated_at: a.updated_at,
    etag: a.etag,
    url: `api/v1/artifacts/calibration/${a.id}/image`,
  };
}

/**
 * Resolves a workspace-relative path to a file inside the calibration root, or refuses it.
 * Both the lexical path and the real path (after symlinks) must stay inside the root.
 */
export function resolveInside(root: string, rel: string): string | null {
  if (!rel || rel.includes('\0') || path.isAbsolute(rel) || /^[A-Za-z]:/.test(rel)) return null;
  const abs = path.resolve(root, rel);
  if (abs !== root && !abs.startsWith(root + path.sep)) return null;
  try {
    const realRoot = fs.realpathSync(root);
    const real = fs.realpathSync(abs);
    if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return null;
    return real;
  } catch {
    return null;
  }
}

/** The status without its per-request fields (`uptime_s`, `auth`). */
type StatusBody = Pick<z.infer<typeof statusSchema>, 'version' | 'node' | 'started_at' | 'events' | 'lineage'> &
  Record<string, unknown>;

/**
 * How long a computed status may serve when nothing recorded a change. Events (every kill switch,
 * incident, action, scheduler, agent, lineage and telemetry change appends one) and key-value writes
 * invalidate it at once; this bound covers what moves without either: time-derived values (overdue
 * diagnostics, stale agents), connection state, work in progress.
 */
const STATUS_MAX_AGE_MS = 1000;

/**
 * GET /api/v1/status, computed once per change instead of once per request: the parts' status
 * sections run a dozen queries between them, which dominated a status poll. `uptime_s` and `auth`
 * are per request.
 */
export class StatusView {
  private body: StatusBody | null = null;
  private computedAt = 0;
  private kvVersion = -1;

  constructor(private readonly ctx: SidecarContext) {
    ctx.events.onAppend(() => {
      this.body = null;
    });
  }

  private compute(): StatusBody {
    const { ctx } = this;
    const lineage = ctx.lineage.current();
    return {
      version: ctx.version,
      node: ctx.config.node,
      started_at: ctx.startedAt.toISOString(),
      // Exact without a COUNT(*) scan: retention deletes only the oldest rows (see approximateCount).
      events: { stored: ctx.events.repo.approximateCount(), last_id: ctx.events.repo.lastId() },
      lineage: {
        model: lineage.model,
        active: lineage.active,
        canary: lineage.canary,
        generations: lineage.generations.length,
      },
      telemetry: ctx.telemetry.latest(),
      ...ctx.status.snapshot(),
    };
  }

  of(principal: Principal): z.infer<typeof statusSchema> {
    const now = Date.now();
    const kvVersion = this.ctx.kv.version;
    if (!this.body || now - this.computedAt >= STATUS_MAX_AGE_MS || kvVersion !== this.kvVersion) {
      this.body = this.compute();
      this.computedAt = now;
      this.kvVersion = kvVersion;
    }
    const { version, node, started_at: startedAt, events, lineage, ...sections } = this.body;
    return {
      version,
      node,
      started_at: startedAt,
      uptime_s: Math.round((now - this.ctx.startedAt.getTime()) / 1000),
      auth: {
        actor: principal.actor,
        role: principal.role,
        token: principal.token,
        token_role: principal.tokenRole,
        grafana_user: principal.grafana?.login ?? null,
        grafana_org_id: principal.grafana?.orgId ?? null,
      },
      events,
      lineage,
      // Sections come from the parts (ctx.status.section); the contract tests check them on a live sidecar.
      ...(sections as Pick<
        z.infer<typeof statusSchema>,
        'kill_switch' | 'scheduler' | 'incidents' | 'workload_telemetry' | 'policy'
      >),
    };
  }
}

function sendImage(ctx: SidecarContext, a: Artifact, req: Request, res: Response): void {
  const root = path.join(ctx.config.watch.root, 'calibration');
  const rel = path.relative('calibration', a.rel_path);
  const file = resolveInside(root, rel);
  if (!file) throw notFound(`image of artifact ${a.id}`);
  const etag = `"${a.etag}"`;
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', 'private, max-age=0, must-revalidate');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (a.content_type === 'image/svg+xml') {
    // An SVG can carry script: never let it run in the API's origin.
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox");
  }
  const inm = req.headers['if-none-match'];
  if (inm && inm.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}` || t.trim() === '*')) {
    res.status(304).end();
    return;
  }
  let body: Buffer;
  try {
    body = fs.readFileSync(file);
  } catch {
    throw notFound(`image of artifact ${a.id}`);
  }
  res.setHeader('Content-Type', a.content_type);
  res.setHeader('Content-Length', String(body.length));
  res.status(200).end(body);
}

export function registerCoreRoutes(
  api: ApiRouter,
  ctx: SidecarContext,
  stream: StreamHub,
  openapi: () => object
): void {
  const healthSchema = z.object({ status: z.literal('ok') });
  api.add(
    {
      method: 'get',
      path: '/healthz',
      access: 'public',
      summary: 'Liveness: the process answers',
      tags: ['health'],
      responses: { 200: { description: 'alive', schema: healthSchema } },
    },
    () => ({ status: 'ok' as const })
  );

  api.add(
    {
      method: 'get',
      path: '/readyz',
      access: 'viewer',
      summary: 'Readiness: store, watcher and bus checks',
      tags: ['health'],
      responses: {
        200: { description: 'ready', schema: z.object({ ok: z.boolean(), checks: z.record(z.string(), z.unknown()) }) },
        503: { description: 'not ready' },
      },
    },
    ({ res }) => {
      const r = ctx.status.ready();
      res.status(r.ok ? 200 : 503);
      return r;
    }
  );

  api.add(
    {
      method: 'get',
      path: '/metrics',
      access: ctx.config.http.metrics_public ? 'public' : 'viewer',
      summary: 'Prometheus metrics (text 0.0.4, or OpenMetrics 1.0 by Accept header)',
      tags: ['health'],
      responses: { 200: { description: 'metrics', schema: z.string(), contentType: 'text/plain' } },
    },
    async ({ req, res }) => {
      const { contentType, body } = await ctx.metrics.render(req.headers.accept);
      res.setHeader('Content-Type', contentType);
      res.status(200).end(body);
    }
  );

  api.add(
    {
      method: 'get',
      path: '/api/v1/openapi.json',
      access: 'viewer',
      summary: 'This API as an OpenAPI 3.1 document generated from the zod schemas',
      tags: ['meta'],
      responses: {
        200: {
          description: 'OpenAPI document',
          schema: z.looseObject({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) }),
        },
      },
    },
    () => openapi()
  );

  const statusSpec = {
    method: 'get' as const,
    access: 'viewer' as const,
    summary: 'Sidecar status: version, node, who you are, kill switch, lineage pointers, parts',
    tags: ['read'],
    responses: { 200: { description: 'status', schema: statusSchema }, ...stdErrors },
  };
  const status = new StatusView(ctx);
  api.add({ ...statusSpec, path: '/api/v1/status' }, ({ principal }) => status.of(principal));
  api.add({ ...statusSpec, path: '/status', alias: true }, ({ principal }) => status.of(principal));

  const lineageSpec = {
    method: 'get' as const,
    access: 'viewer' as const,
    summary: 'Current lineage; with ?at= what was known and serving at that time',
    tags: ['read'],
    query: atQuery,
    responses: { 200: { description: 'lineage', schema: lineageSchema }, ...stdErrors },
  };
  const lineage = ({ query }: { query: z.infer<typeof atQuery> }) =>
    query.at ? ctx.lineage.at(query.at) : ctx.lineage.current();
  api.add({ ...lineageSpec, path: '/api/v1/lineage' }, lineage);
  api.add({ ...lineageSpec, path: '/lineage', alias: true }, lineage);

  const artifactsQuery = z.strictObject({
    generation: z.string().max(200).optional(),
    kind: z.string().max(50).optional().describe('image kind (png, svg, jpg) or the metadata "kind"'),
    cursor: artifactCursor.optional(),
    limit: limitParam(500, 100),
  });
  const listArtifacts = ({ query }: { query: z.infer<typeof artifactsQuery> }) => {
    const out: z.infer<typeof artifactSchema>[] = [];
    let cursor = query.cursor;
    // Page over the table until `limit` rows pass the kind filter (kind may live in metadata).
    for (;;) {
      const rows = ctx.artifacts.list({
        kind: 'calibration',
        generation: query.generation,
        after: cursor,
        limit: query.limit,
      });
      for (const r of rows) {
        const v = artifactView(r);
        if (!query.kind || v.kind === query.kind) out.push(v);
        cursor = r.id;
        if (out.length === query.limit) break;
      }
      if (out.length === query.limit || rows.length < query.limit) break;
    }
    const more = out.length === query.limit && cursor !== undefined;
    return { items: out, next_cursor: more ? encodeCursor(cursor!) : null };
  };
  api.add(
    {
      method: 'get',
      path: '/api/v1/artifacts/calibration',
      access: 'viewer',
      summary: 'Calibration images with their metadata, filterable by generation and kind',
      tags: ['read'],
      query: artifactsQuery,
      responses: { 200: { description: 'artifacts', schema: pageOf(artifactSchema) }, ...stdErrors },
    },
    listArtifacts
  );
  api.add(
    {
      method: 'get',
      path: '/api/v1/artifacts/calibration/:id/image',
      access: 'viewer',
      summary: 'The image bytes, with content type, ETag (304 on If-None-Match) and cache headers',
      tags: ['read'],
      params: artifactIdParam,
      responses: {
        200: { description: 'image', schema: z.string(), contentType: 'image/*' },
        304: { description: 'not modified' },
        404: { description: 'no such artifact' },
        ...stdErrors,
      },
    },
    ({ params, req, res }) => {
      const a = ctx.artifacts.get(params.id);
      if (!a || a.kind !== 'calibration') throw notFound(`artifact ${params.id}`);
      sendImage(ctx, a, req, res);
    }
  );

  const m15Query = artifactsQuery.extend({
    file: z
      .string()
      .max(1024)
      .optional()
      .describe('classic: a path relative to the calibration root, e.g. g12/reliability.png'),
  });
  api.add(
    {
      method: 'get',
      path: '/artifacts/m15',
      access: 'viewer',
      alias: true,
      summary: 'Classic alias: the calibration listing, or one image with ?file=',
      tags: ['read'],
      query: m15Query,
      responses: { 200: { description: 'listing or image' } },
    },
    ({ query, req, res }) => {
      if (query.file === undefined) {
        const { file: _f, ...rest } = query;
        return listArtifacts({ query: rest });
      }
      const root = path.join(ctx.config.watch.root, 'calibration');
      const real = resolveInside(root, query.file);
      if (!real)
        throw new ApiError('invalid_request', 'file must be a path inside the calibration root', [
          { path: 'query.file', message: 'outside the calibration root', code: 'custom' },
        ]);
      const a = ctx.artifacts.getByPath(path.posix.join('calibration', query.file.split(path.sep).join('/')));
      if (!a) throw notFound(`calibration file ${query.file}`);
      sendImage(ctx, a, req, res);
    }
  );

  const feedParam = z.object({ feed: z.enum(FEED_NAMES as [FeedName, ...FeedName[]]) });
  api.add(
    {
      method: 'get',
      path: '/api/v1/feeds/:feed',
      access: 'viewer',
      summary: 'A feed, newest first, with cursor paging and filters by source, kind, severity and time',
      tags: ['read'],
      params: feedParam,
      query: eventFilterQuery,
      responses: { 200: { description: 'events', schema: pageOf(eventSchema) }, ...stdErrors },
    },
    ({ params, query }) => {
      const allowed: readonly string[] = FEEDS[params.feed];
      const bad = (query.source ?? []).filter((s) => !allowed.includes(s));
      if (bad.length) {
        throw new ApiError('invalid_request', `query.source: ${bad.join(', ')} not in feed ${params.feed}`, [
          { path: 'query.source', message: `allowed in ${params.feed}: ${allowed.join(', ')}`, code: 'invalid_value' },
        ]);
      }
      const rows = ctx.events.query({
        sources: query.source?.length ? query.source : allowed,
        kinds: query.kind,
        severity: query.severity,
        since: query.since ? new Date(query.since).toISOString() : undefined,
        until: query.until ? new Date(query.until).toISOString() : undefined,
        subject: query.subject,
        before: query.cursor,
        limit: query.limit + 1,
      });
      return pageBySeq(rows, query.limit, ({ seq: _s, ...e }) => e);
    }
  );

  const streamQuery = z.strictObject({
    feeds: csvList(z.enum(FEED_NAMES as [FeedName, ...FeedName[]])).optional(),
    source: csvList(eventSourceSchema)
      .pipe(z.array(eventSourceSchema).max(EVENT_SOURCES.length))
      .optional()
      .describe('only these sources (within the feeds)'),
    kind: csvList(
      z
        .string()
        .max(STREAM_KIND_MAX, `at most ${STREAM_KIND_MAX} characters`)
        .regex(STREAM_KIND_PATTERN, 'a kind (lineage.updated) or a family (lineage.*)')
    )
      .pipe(z.array(z.string()).max(STREAM_KINDS_MAX, `at most ${STREAM_KINDS_MAX} kinds`))
      .optional()
      .describe('only these kinds; `family.*` for a family (lineage.*)'),
    severity: severitySchema.optional(),
    last_event_id: z.string().max(64).optional(),
  });
  api.add(
    {
      method: 'get',
      path: '/api/v1/stream',
      access: 'viewer',
      summary:
        'Server-sent events of every new event, filtered by feed, source, kind and severity; resumable with Last-Event-ID; keep-alive comments',
      tags: ['read'],
      query: streamQuery,
      responses: {
        200: {
          description: 'events: `id`, `event: lookout`, `data` (the event JSON)',
          schema: z.string(),
          contentType: 'text/event-stream',
        },
        ...stdErrors,
      },
    },
    ({ query, req, res }) => {
      const header = req.headers['last-event-id'];
      const lastEventId = (typeof header === 'string' && header) || query.last_event_id;
      if (lastEventId !== undefined && !/^[0-9A-HJKMNP-TV-Z]{26}$/.test(lastEventId)) {
        throw new ApiError('invalid_request', 'Last-Event-ID must be an event id (ULID)', [
          { path: 'headers.last-event-id', message: 'not a ULID', code: 'invalid_format' },
        ]);
      }
      const feeds: FeedName[] = query.feeds?.length ? query.feeds : ['all'];
      const inFeeds = new Set<string>(feeds.flatMap((f) => [...FEEDS[f]]));
      const outside = (query.source ?? []).filter((src) => !inFeeds.has(src));
      if (outside.length) {
        throw new ApiError('invalid_request', `query.source: ${outside.join(', ')} not in feeds ${feeds.join(', ')}`, [
          { path: 'query.source', message: `allowed: ${[...inFeeds].join(', ')}`, code: 'invalid_value' },
        ]);
      }
      stream.open(req, res, {
        feeds,
        sources: query.source,
        kinds: query.kind,
        severity: query.severity,
        lastEventId,
      });
    }
  );
}
