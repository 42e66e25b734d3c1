import { z } from 'zod';
import type { ApiRouter } from '../api/api-router';
import type { RouteModule } from '../api/http-server';
import { ApiError } from '../api/errors';
import { actorOf } from '../api/auth';
import { csvList, errorResponse, isoTime, limitParam, pageOf, stdErrors } from '../api/schemas';
import {
  DIAGNOSTIC_SEVERITIES,
  SORT_FIELDS,
  assigneeSchema,
  componentSchema,
  diagnosticIdSchema,
  diagnosticSeveritySchema,
  diagnosticStatusSchema,
  dueAtSchema,
  roadmapUrlSchema,
  tagSchema,
  tagsSchema,
} from './diagnostic';
import {
  DiagnosticNotFoundError,
  type DiagnosticsService,
  InvalidCursorError,
  InvalidTransitionError,
} from './diagnostics-service';

const BASE = '/api/v1/diagnostics';
const TAGS = ['diagnostics'];

// ---- response schemas (OpenAPI) ----

const severityCounts = z.object(
  Object.fromEntries(DIAGNOSTIC_SEVERITIES.map((s) => [s, z.number().int()])) as Record<
    (typeof DIAGNOSTIC_SEVERITIES)[number],
    z.ZodNumber
  >
);

export const diagnosticViewSchema = z.object({
  id: z.string().describe('D-<n>'),
  title: z.string(),
  description: z.string(),
  severity: diagnosticSeveritySchema,
  status: diagnosticStatusSchema,
  assignee: z.string().nullable(),
  due_at: z.string().nullable(),
  overdue: z.boolean().describe('open or in progress, and due_at has passed'),
  tags: z.array(z.string()),
  component: z.string().nullable(),
  roadmap_url: z.string().nullable(),
  origin: z.enum(['api', 'guardian']),
  rule: z.string().nullable().describe('guardian rule, when the guardian opened it'),
  node: z.string().nullable(),
  created_by: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  resolved_at: z.string().nullable(),
  closed_at: z.string().nullable(),
});

const estimateSchema = z.object({
  diagnostic_id: z.string(),
  basis: z.enum(['severity+component', 'severity', 'all', 'none']),
  sample_size: z.number().int(),
  median_s: z.number().nullable(),
  p90_s: z.number().nullable(),
  expected_resolved_at: z.string().nullable(),
  remaining_s: z.number().nullable(),
});

const commentSchema = z.object({
  id: z.number().int(),
  ts: z.string(),
  author: z.string(),
  body: z.string(),
  kind: z.enum(['user', 'system']),
});

const detailSchema = diagnosticViewSchema.extend({
  comments: z.array(commentSchema),
  history: z.array(
    z.object({
      seq: z.number().int(),
      ts: z.string(),
      actor: z.string(),
      action: z.string(),
      changes: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })),
      note: z.string().nullable(),
    })
  ),
  incidents: z.array(
    z.object({
      incident_id: z.string(),
      rule: z.string(),
      node: z.string(),
      severity: z.string(),
      title: z.string(),
      linked_at: z.string(),
      resolved_at: z.string().nullable(),
      resolved_by: z.string().nullable(),
      resolution_note: z.string().nullable(),
    })
  ),
  allowed_transitions: z.array(diagnosticStatusSchema),
  can_reopen: z.boolean(),
  estimate: estimateSchema.nullable(),
});

const statsSchema = z.object({
  count: z.number().int(),
  median_s: z.number().nullable(),
  p90_s: z.number().nullable(),
});

const analyticsSchema = z.object({
  generated_at: z.string(),
  range: z.object({ since: z.string(), until: z.string() }),
  open_by_severity: severityCounts,
  open_total: z.number().int(),
  overdue: z.number().int(),
  time_to_resolve: z.object(
    Object.fromEntries(DIAGNOSTIC_SEVERITIES.map((s) => [s, statsSchema])) as Record<
      (typeof DIAGNOSTIC_SEVERITIES)[number],
      typeof statsSchema
    >
  ),
  weekly: z.array(z.object({ week_start: z.string(), opened: z.number().int(), resolved: z.number().int() })),
  estimate: estimateSchema.nullable(),
});

// ---- request schemas ----

const idParam = z.object({ id: diagnosticIdSchema });
const note = z.string().trim().max(4000).optional();
const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true');

const fields = {
  title: z.string().trim().min(1).max(300),
  description: z.string().max(20_000),
  severity: diagnosticSeveritySchema,
  assignee: assigneeSchema.nullable(),
  due_at: dueAtSchema.nullable(),
  tags: tagsSchema,
  component: componentSchema.nullable(),
  roadmap_url: roadmapUrlSchema.nullable(),
};

const createBody = z.strictObject({
  ...fields,
  description: fields.description.optional(),
  severity: fields.severity.default('warning'),
  assignee: fields.assignee.optional(),
  due_at: fields.due_at.optional(),
  tags: fields.tags.optional(),
  component: fields.component.optional(),
  roadmap_url: fields.roadmap_url.optional(),
});

const patchBody = z
  .strictObject(fields)
  .partial()
  .refine((o) => Object.keys(o).length > 0, 'give at least one field to change (status moves through /transition)');

const listQuery = z.strictObject({
  status: csvList(diagnosticStatusSchema).optional(),
  severity: csvList(diagnosticSeveritySchema).optional(),
  assignee: csvList(assigneeSchema).optional().describe('any of these assignees'),
  unassigned: boolParam.optional().describe('true: also (or, without assignee=, only) unassigned ones'),
  tag: csvList(tagSchema).optional().describe('every listed tag must be present'),
  component: csvList(componentSchema).optional(),
  q: z.string().max(200).optional().describe('text search: every word must occur in the title or description'),
  overdue: boolParam.optional(),
  sort: z.enum(SORT_FIELDS).default('created_at'),
  order: z.enum(['asc', 'desc']).default('desc'),
  cursor: z.string().max(500).optional(),
  limit: limitParam(500, 50),
});

const MAX_RANGE_MS = 520 * 7 * 24 * 3600 * 1000;
const analyticsQuery = z
  .strictObject({
    since: isoTime.optional(),
    until: isoTime.optional(),
    diagnostic: diagnosticIdSchema.optional().describe('also estimate the time to resolve of this diagnostic'),
  })
  .superRefine((q, ctx) => {
    const since = q.since ? Date.parse(q.since) : undefined;
    const until = q.until ? Date.parse(q.until) : Date.now();
    if (since !== undefined && since >= until)
      ctx.addIssue({ code: 'custom', path: ['since'], message: 'since must be before until' });
    if (since !== undefined && until - since > MAX_RANGE_MS) {
      ctx.addIssue({ code: 'custom', path: ['since'], message: 'the range may span at most 520 weeks' });
    }
  });

const conflictErrors = {
  404: { description: 'No such diagnostic', schema: errorResponse },
  409: { description: 'invalid_transition: details.allowed lists the allowed moves', schema: errorResponse },
} as const;

/** Maps the service's failures to API errors. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DiagnosticNotFoundError) throw new ApiError('not_found', err.message);
    if (err instanceof InvalidTransitionError) {
      throw new ApiError('invalid_transition', err.message, {
        from: err.from,
        to: err.to,
        allowed: err.allowed,
        reopen: err.reopenable,
      });
    }
    if (err instanceof InvalidCursorError) {
      throw new ApiError('invalid_request', `query.cursor: ${err.message}`, [
        { path: 'query.cursor', message: err.message, code: 'custom' },
      ]);
    }
    throw err;
  }
}

/** Routes under /api/v1/diagnostics: viewers read, operators write. */
export function diagnosticsRoutes(service: DiagnosticsService): RouteModule {
  return (api: ApiRouter): void => {
    api.add(
      {
        method: 'get',
        path: BASE,
        access: 'viewer',
        summary:
          'Diagnostics filtered by status, severity, assignee, tag, component, text and overdue; sorted and cursor-paged',
        tags: TAGS,
        query: listQuery,
        responses: {
          200: { description: 'a page of diagnostics', schema: pageOf(diagnosticViewSchema) },
          ...stdErrors,
        },
      },
      ({ query }) =>
        guard(() =>
          service.list({
            statuses: query.status,
            severities: query.severity,
            assignees: query.assignee,
            unassigned: query.unassigned,
            tags: query.tag,
            components: query.component,
            q: query.q,
            overdue: query.overdue,
            sort: query.sort,
            order: query.order,
            cursor: query.cursor,
            limit: query.limit,
          })
        )
    );

    api.add(
      {
        method: 'post',
        path: BASE,
        access: 'operator',
        summary: 'Open a diagnostic',
        tags: TAGS,
        body: createBody,
        responses: { 201: { description: 'created', schema: diagnosticViewSchema }, ...stdErrors },
      },
      ({ body, principal, res }) => {
        const d = service.create(body, actorOf(principal));
        res.status(201);
        return d;
      }
    );

    // Before /:id, which would otherwise take "analytics" for an id.
    api.add(
      {
        method: 'get',
        path: `${BASE}/analytics`,
        access: 'viewer',
        summary: 'Open by severity, overdue, time to resolve (median, p90) by severity, weekly trend, estimate',
        tags: TAGS,
        query: analyticsQuery,
        responses: {
          200: { description: 'analytics', schema: analyticsSchema },
          404: conflictErrors[404],
          ...stdErrors,
        },
      },
      ({ query }) =>
        guard(() =>
          service.analytics({
            since: query.since ? new Date(query.since).toISOString() : undefined,
            until: query.until ? new Date(query.until).toISOString() : undefined,
            diagnosticId: query.diagnostic,
          })
        )
    );

    api.add(
      {
        method: 'get',
        path: `${BASE}/:id`,
        access: 'viewer',
        summary: 'One diagnostic with comments, history, linked incidents, allowed transitions and estimate',
        tags: TAGS,
        params: idParam,
        responses: {
          200: { description: 'the diagnostic', schema: detailSchema },
          404: conflictErrors[404],
          ...stdErrors,
        },
      },
      ({ params }) => guard(() => service.get(params.id))
    );

    api.add(
      {
        method: 'patch',
        path: `${BASE}/:id`,
        access: 'operator',
        summary: 'Change fields (title, description, severity, assignee, due_at, tags, component, roadmap_url)',
        tags: TAGS,
        params: idParam,
        body: patchBody,
        responses: {
          200: { description: 'updated', schema: diagnosticViewSchema },
          404: conflictErrors[404],
          ...stdErrors,
        },
      },
      ({ params, body, principal }) => guard(() => service.update(params.id, body, actorOf(principal)))
    );

    api.add(
      {
        method: 'post',
        path: `${BASE}/:id/comments`,
        access: 'operator',
        summary: 'Add a comment',
        tags: TAGS,
        params: idParam,
        body: z.strictObject({ body: z.string().trim().min(1).max(20_000) }),
        responses: {
          201: { description: 'the comment', schema: commentSchema },
          404: conflictErrors[404],
          ...stdErrors,
        },
      },
      ({ params, body, principal, res }) => {
        const c = guard(() => service.comment(params.id, body.body, actorOf(principal)));
        res.status(201);
        return c;
      }
    );

    api.add(
      {
        method: 'post',
        path: `${BASE}/:id/assign`,
        access: 'operator',
        summary: 'Assign (or unassign with null); notifies the assignee',
        tags: TAGS,
        params: idParam,
        body: z.strictObject({ assignee: assigneeSchema.nullable(), note }),
        responses: {
          200: { description: 'updated', schema: diagnosticViewSchema },
          404: conflictErrors[404],
          ...stdErrors,
        },
      },
      ({ params, body, principal }) =>
        guard(() => service.assign(params.id, body.assignee, actorOf(principal), body.note))
    );

    api.add(
      {
        method: 'post',
        path: `${BASE}/:id/transition`,
        access: 'operator',
        summary: 'Move the status (open, in_progress, resolved, closed); 409 lists the allowed moves',
        tags: TAGS,
        params: idParam,
        body: z.strictObject({ to: diagnosticStatusSchema, note }),
        responses: { 200: { description: 'updated', schema: diagnosticViewSchema }, ...conflictErrors, ...stdErrors },
      },
      ({ params, body, principal }) =>
        guard(() => service.transition(params.id, body.to, actorOf(principal), body.note))
    );

    api.add(
      {
        method: 'post',
        path: `${BASE}/:id/reopen`,
        access: 'operator',
        summary: 'Reopen a resolved or closed diagnostic (back to in_progress)',
        tags: TAGS,
        params: idParam,
        body: z.strictObject({ note }),
        responses: { 200: { description: 'updated', schema: diagnosticViewSchema }, ...conflictErrors, ...stdErrors },
      },
      ({ params, body, principal }) => guard(() => service.reopen(params.id, actorOf(principal), body.note))
    );
  };
}
