import { z } from 'zod';
import type { ApiRouter } from '../api/api-router';
import { notFound } from '../api/api-router';
import { actorOf } from '../api/auth';
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
  actor: z.string().nullable(),
  reason: z.string().nullable(),
  since: z.string().nullable(),
});
const reasonBody = z.strictObject({ reason: z.string().trim().min(3, 'say why in at least 3 characters').max(1000) });

const view = (d: Decision): z.infer<typeof decisionSchema> => {
  const { seq: _s, ...rest } = d;
  return rest;
};

export function schedulerRoutes(scheduler: Scheduler): (api: ApiRouter) => void {
  return (api) => {
    for (const which of ['pause', 'resume'] as const) {
      api.add(
        {
          method: 'post',
          path: `/api/v1/scheduler/${which}`,
          access: 'operator',
          summary:
            which === 'pause'
              ? 'Pause the scheduler (no scheduled actions until resumed); reason required'
              : 'Resume the scheduler; reason required',
          tags: ['scheduler'],
          body: reasonBody,
          responses: { 200: { description: 'scheduler pause state', schema: pauseStateSchema }, ...stdErrors },
        },
        ({ body, principal }) => {
          if (which === 'pause') scheduler.pause(actorOf(principal), body.reason);
          else scheduler.resume(actorOf(principal), body.reason);
          return scheduler.pauseState();
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
