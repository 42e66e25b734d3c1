import crypto from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod';
import type { ApiRouter } from '../api/api-router';
import { notFound } from '../api/api-router';
import { actorOf, type Principal } from '../api/auth';
import { ApiError } from '../api/errors';
import { pageBySeq } from '../api/paging';
import { csvList, cursorParam, limitParam, pageOf, stdErrors } from '../api/schemas';
import { ActionRefusedError, InterlockError } from './action-errors';
import type { ActionService, Caller } from './action-service';
import { ACTION_STATUSES, ACTION_TRIGGERS, type ActionRecord, type Plan } from './actions-repository';

const actionName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'an action name');
const idParam = z.object({ id: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'an action id (ULID)') });
const nameParam = z.object({ name: actionName });

const reasonSchema = z.string().trim().min(3, 'say why in at least 3 characters').max(1000);
/** Longest text param; `content` (policy_apply's policy text) is bounded by the request body limit instead. */
const PARAM_TEXT_MAX = 1000;
const paramsSchema = z
  .record(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/), z.union([z.string(), z.number(), z.boolean(), z.null()]))
  .refine((p) => Object.keys(p).length <= 32, 'at most 32 params')
  .superRefine((p, ctx) => {
    for (const [k, v] of Object.entries(p)) {
      if (typeof v === 'string' && k !== 'content' && v.length > PARAM_TEXT_MAX) {
        ctx.addIssue({ code: 'custom', path: [k], message: `at most ${PARAM_TEXT_MAX} characters` });
      }
    }
  })
  .describe('Action parameters, e.g. { "target": "gen-0003" } for rollback; policy_apply: { content, window, source }');

export const planBody = z.strictObject({
  params: paramsSchema.optional(),
  break_glass: z
    .boolean()
    .optional()
    .describe('Admin only: set the critical-incident interlock of flush_guardrails aside'),
});
export const applyBody = z.strictObject({
  plan_id: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'a plan id returned by /plan'),
  reason: reasonSchema,
});
const idempotencyKey = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, '1-128 characters of A-Z a-z 0-9 . _ : -');

const interlockSchema = z.object({ code: z.string(), message: z.string(), overridden: z.boolean().optional() });
const planSchema = z.object({
  plan_id: z.string(),
  action: z.string(),
  params: z.record(z.string(), z.unknown()),
  state: z.record(z.string(), z.unknown()),
  changes: z.array(z.object({ field: z.string(), from: z.unknown(), to: z.unknown() })),
  interlocks: z.array(interlockSchema),
  allowed: z.boolean(),
  break_glass: z.boolean(),
  fingerprint: z.string(),
  created_at: z.string(),
  expires_at: z.string(),
  evidence: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('What the plan shows besides its changes: policy_apply gives the rule diff and the backtest'),
});
export const actionSchema = z.object({
  id: z.string(),
  action: z.string(),
  status: z.enum(ACTION_STATUSES),
  trigger: z.enum(ACTION_TRIGGERS),
  plan_id: z.string().nullable(),
  params: z.record(z.string(), z.unknown()),
  reason: z.string(),
  actor: z.string(),
  executor: z.string(),
  expect: z.record(z.string(), z.unknown()).nullable(),
  result: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
  verification: z.record(z.string(), z.unknown()).nullable(),
  break_glass: z.boolean(),
  decision_id: z.string().nullable(),
  incident_id: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  applied_at: z.string().nullable(),
  finished_at: z.string().nullable(),
});

/** The `Idempotency-Key` header an apply needs: 400 with the header's path when it is missing or malformed. */
export function idempotencyKeyOf(req: Request): string {
  const key = idempotencyKey.safeParse(req.headers['idempotency-key']);
  if (!key.success) {
    throw new ApiError(
      'invalid_request',
      'headers.idempotency-key: an Idempotency-Key header is required (1-128 of A-Z a-z 0-9 . _ : -)',
      [{ path: 'headers.idempotency-key', message: key.error.issues[0]?.message ?? 'required', code: 'invalid_format' }]
    );
  }
  return key.data;
}

const sha256 = (s: string): string => crypto.createHash('sha256').update(s).digest('hex');

const errors409 = { 409: { description: 'Interlock, stale or expired plan, idempotency mismatch' } };

export function planView(p: Plan): z.infer<typeof planSchema> {
  return {
    plan_id: p.id,
    action: p.action,
    params: p.params,
    state: p.state,
    changes: p.changes,
    interlocks: p.interlocks,
    allowed: p.allowed,
    break_glass: p.break_glass,
    fingerprint: p.fingerprint,
    created_at: p.created_at,
    expires_at: p.expires_at,
    evidence: p.evidence,
  };
}

export function actionView(a: ActionRecord): z.infer<typeof actionSchema> {
  const { seq: _s, ...rest } = a;
  return rest;
}

export function callerOf(p: Principal): Caller {
  // Idempotency keys are per person: two Grafana users behind one grafana token never replay each other.
  return { actor: actorOf(p), token: p.key, role: p.role };
}

/** Maps the action service's errors onto the API's error codes. */
export function actionApiError(err: unknown): unknown {
  if (err instanceof ActionRefusedError) return new ApiError(err.code, err.message, err.details);
  return err;
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw actionApiError(err);
  }
}

async function guardAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw actionApiError(err);
  }
}

/** Routes of the action lifecycle, plus the classic one-call paths. */
export function actionsRoutes(actions: ActionService): (api: ApiRouter) => void {
  return (api) => {
    const listQuery = z.strictObject({
      cursor: cursorParam.optional(),
      limit: limitParam(500, 50),
      action: actionName.optional(),
      status: csvList(z.enum(ACTION_STATUSES)).optional(),
    });
    api.add(
      {
        method: 'get',
        path: '/api/v1/actions',
        access: 'viewer',
        summary: 'Actions, newest first, with their lifecycle status',
        tags: ['actions'],
        query: listQuery,
        responses: { 200: { description: 'actions', schema: pageOf(actionSchema) }, ...stdErrors },
      },
      ({ query }) => {
        const rows = actions.repo.listActions({
          action: query.action,
          status: query.status,
          before: query.cursor,
          limit: query.limit + 1,
        });
        return pageBySeq(rows, query.limit, actionView);
      }
    );
    api.add(
      {
        method: 'get',
        path: '/api/v1/actions/:id',
        access: 'viewer',
        summary: 'One action: status, result, verification, incident',
        tags: ['actions'],
        params: idParam,
        responses: {
          200: { description: 'action', schema: actionSchema },
          404: { description: 'no such action' },
          ...stdErrors,
        },
      },
      ({ params }) => {
        const a = actions.get(params.id);
        if (!a) throw notFound(`action ${params.id}`);
        return actionView(a);
      }
    );
    api.add(
      {
        method: 'post',
        path: '/api/v1/actions/:name/plan',
        access: 'operator',
        summary:
          'Dry run: current state, what would change, which interlocks refuse it, a plan id (policy_apply: the rule diff and a backtest as evidence)',
        tags: ['actions'],
        params: nameParam,
        body: planBody,
        responses: {
          200: { description: 'plan', schema: planSchema },
          404: { description: 'no such action' },
          ...stdErrors,
        },
      },
      async ({ params, body, principal }) =>
        planView(
          await guardAsync(() =>
            actions.planAsync(params.name, callerOf(principal), { params: body.params, breakGlass: body.break_glass })
          )
        )
    );
    api.add(
      {
        method: 'post',
        path: '/api/v1/actions/:name/apply',
        access: 'operator',
        summary: 'Apply a plan: plan_id, reason, Idempotency-Key header. 202 with the action; 200 for a replay',
        tags: ['actions'],
        params: nameParam,
        body: applyBody,
        responses: {
          202: { description: 'action accepted', schema: actionSchema },
          200: { description: 'replay of an earlier apply with the same key', schema: actionSchema },
          ...errors409,
          ...stdErrors,
        },
      },
      ({ params, body, principal, req, res }) => {
        const key = idempotencyKeyOf(req);
        const r = guard(() =>
          actions.apply(params.name, callerOf(principal), {
            planId: body.plan_id,
            reason: body.reason,
            idempotencyKey: key,
            trigger: 'api',
          })
        );
        res.status(r.replayed ? 200 : 202);
        if (r.replayed) res.setHeader('Idempotent-Replayed', 'true');
        return actionView(r.action);
      }
    );

    const classicBody = z.strictObject({ reason: reasonSchema.optional(), params: paramsSchema.optional() });
    const classicQuery = z.strictObject({ reason: reasonSchema.optional() });
    for (const name of ['kill', 'retrain', 'canary_promote', 'flush_guardrails'] as const) {
      api.add(
        {
          method: 'post',
          path: `/${name}`,
          access: 'operator',
          alias: true,
          summary: `Classic alias: plan and apply ${name} in one call; reason required (body or ?reason=)`,
          tags: ['actions'],
          body: classicBody,
          query: classicQuery,
          responses: { 202: { description: 'action accepted', schema: actionSchema }, ...errors409, ...stdErrors },
        },
        ({ body, query, principal, req, res }) => {
          const reason = body.reason ?? query.reason;
          if (!reason) {
            throw new ApiError('invalid_request', 'body.reason: a reason is required (body { reason } or ?reason=)', [
              { path: 'body.reason', message: 'required', code: 'invalid_type' },
            ]);
          }
          const key = req.headers['idempotency-key'];
          const parsedKey = key === undefined ? undefined : idempotencyKey.safeParse(key);
          if (parsedKey && !parsedKey.success) {
            throw new ApiError('invalid_request', 'headers.idempotency-key: 1-128 of A-Z a-z 0-9 . _ : -', [
              { path: 'headers.idempotency-key', message: 'invalid', code: 'invalid_format' },
            ]);
          }
          const caller = callerOf(principal);
          // A classic call has no plan id of its own: its key is bound to the action, reason and params.
          const requestHash = sha256(JSON.stringify(['classic', name, reason, body.params ?? {}]));
          if (parsedKey) {
            const prior = guard(() => actions.replay(caller.token, parsedKey.data!, requestHash));
            if (prior) {
              res.setHeader('Idempotent-Replayed', 'true');
              return actionView(prior);
            }
          }
          const action = guard(() => {
            const plan = actions.plan(name, caller, { params: body.params });
            if (!plan.allowed) throw new InterlockError(plan.interlocks.filter((i) => !i.overridden));
            return actions.apply(name, caller, {
              planId: plan.id,
              reason,
              idempotencyKey: parsedKey?.data ?? `classic-${plan.id}`,
              trigger: 'classic',
              requestHash,
            });
          });
          res.status(action.replayed ? 200 : 202);
          return actionView(action.action);
        }
      );
    }
  };
}
