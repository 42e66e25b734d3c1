import { z } from 'zod';
import type { ApiRouter } from '../api/api-router';
import { notFound } from '../api/api-router';
import type { ActionService } from '../actions/action-service';
import { actionApiError, callerOf } from '../actions/actions-router';
import { ApiError } from '../api/errors';
import { pageBySeq } from '../api/paging';
import { cursorParam, limitParam, pageOf, stdErrors } from '../api/schemas';
import { DECISION_VERDICTS, type Decision } from './decisions-repository';
import type { Scheduler } from './scheduler';

const decisionSchema = z.object({
  id: z.string(),
  ts: z.string(),
  policy: z.string(),
  policy_type: z.string(),
  rule_version: z.string(),
  verdict: z.enum(DECISION_VERDICTS),
  reason: z.string(),
  action: z.string().nullable(),
  action_id: z.string().nullable(),
  inputs: z.record(z.string(), z.unknown()),
  thresholds: z.record(z.string(), z.unknown()),
});
const pauseStateSchema = z.object({
  paused: z.boolean(),
  actor: z.string().nullable().describe('Who paused or resumed it last: a person, a token, or guardian'),
  reason: z.string().nullable(),
  since: z.string().nullable(),
  action_id: z
    .string()
    .nullable()
    .describe('The scheduler_pause or scheduler_resume action this call ran; null when nothing changed'),
});
const reasonBody = z.strictObject({ reason: z.string().trim().min(3, 'say why in at least 3 characters').max(1000) });

const view = (d: Decision): z.infer<typeof decisionSchema> => {
  const { seq: _s, ...rest } = d;
  return rest;
};

export function schedulerRoutes(scheduler: Scheduler, actions: ActionService): (api: ApiRouter) => void {
  return (api) => {
    for (const which of ['pause', 'resume'] as const) {
      api.add(
        {
          method: 'post',
          path: `/api/v1/scheduler/${which}`,
          access: 'operator',
          summary:
            which === 'pause'
              ? 'Pause the scheduler in one call (plans and applies scheduler_pause); reason required'
              : 'Resume the scheduler in one call (plans and applies scheduler_resume); reason required',
          tags: ['scheduler'],
          body: reasonBody,
          responses: {
            200: { description: 'scheduler pause state', schema: pauseStateSchema },
            409: { description: 'refused (kill switch, cooldown, state changed)' },
            ...stdErrors,
          },
        },
        async ({ body, principal }) => {
          const cur = scheduler.pauseState();
          // Already where the caller wants it: nothing to do, as before these became actions.
          if (cur.paused === (which === 'pause') && cur.reason !== 'pause state unreadable')
            return { ...cur, action_id: null };
          let id: string;
          try {
            id = actions.run(`scheduler_${which}`, callerOf(principal), { reason: body.reason, trigger: 'api' }).id;
          } catch (err) {
            throw actionApiError(err);
          }
          const done = await actions.whenFinished(id);
          if (done?.status === 'failed') throw new ApiError('conflict', done.error ?? `scheduler_${which} failed`);
          return { ...scheduler.pauseState(), action_id: id };
        }
      );
    }
    const listQuery = z.strictObject({
      cursor: cursorParam.optional(),
      limit: limitParam(500, 50),
      policy: z.string().max(64).optional(),
      verdict: z.enum(DECISION_VERDICTS).optional(),
    });
    api.add(
      {
        method: 'get',
        path: '/api/v1/decisions',
        access: 'viewer',
        summary: 'Scheduler decisions, newest first',
        tags: ['scheduler'],
        query: listQuery,
        responses: { 200: { description: 'decisions', schema: pageOf(decisionSchema) }, ...stdErrors },
      },
      ({ query }) => {
        const rows = scheduler.decisions.list({
          policy: query.policy,
          verdict: query.verdict,
          before: query.cursor,
          limit: query.limit + 1,
        });
        return pageBySeq(rows, query.limit, view);
      }
    );
    api.add(
      {
        method: 'get',
        path: '/api/v1/decisions/:id',
        access: 'viewer',
        summary: 'One decision with its why: inputs seen, thresholds, rule version, verdict',
        tags: ['scheduler'],
        params: z.object({ id: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'a decision id (ULID)') }),
        responses: {
          200: { description: 'decision', schema: decisionSchema },
          404: { description: 'no such decision' },
          ...stdErrors,
        },
      },
      ({ params }) => {
        const d = scheduler.decisions.get(params.id);
        if (!d) throw notFound(`decision ${params.id}`);
        return view(d);
      }
    );
  };
}
