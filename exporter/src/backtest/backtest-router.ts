import { z } from 'zod';
import type { ApiRouter } from '../api/api-router';
import { actorOf } from '../api/auth';
import { ApiError } from '../api/errors';
import { pageBySeq } from '../api/paging';
import { cursorParam, limitParam, pageOf, stdErrors } from '../api/schemas';
import {
  BacktestBusyError,
  BacktestEndedError,
  BacktestNotFoundError,
  CandidateInvalidError,
  NoResultError,
  RangeTooLongError,
  UnknownSignalError,
} from './backtest-errors';
import { BACKTEST_STATUSES } from './backtest-repository';
import { backtestResultSchema, backtestRunSchema, createBacktestBody } from './backtest-schemas';
import type { BacktestRequest, BacktestService } from './backtest-service';

const idParam = z.object({ id: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'a backtest id (ULID)') });

/** The backtest service's refusals as API errors. */
export function backtestApiError(err: unknown): unknown {
  if (err instanceof CandidateInvalidError) return new ApiError(err.code, err.message, err.problems);
  if (err instanceof UnknownSignalError) return new ApiError('backtest_unknown_signal', err.message, err.problems);
  if (err instanceof RangeTooLongError) return new ApiError('backtest_range_too_long', err.message, err.details);
  if (err instanceof BacktestBusyError)
    return new ApiError('backtest_busy', err.message, { running: err.running }, { 'Retry-After': '5' });
  if (err instanceof NoResultError) return new ApiError('backtest_no_result', err.message, { status: err.status });
  if (err instanceof BacktestNotFoundError) return new ApiError('not_found', err.message);
  if (err instanceof BacktestEndedError) return new ApiError('conflict', err.message);
  return err;
}

async function guard<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw backtestApiError(err);
  }
}

/** The request body as the service takes it. */
export function backtestRequestOf(body: z.infer<typeof createBacktestBody>): BacktestRequest {
  return {
    rules:
      body.policy !== undefined
        ? { kind: 'policy', content: body.policy }
        : body.rule !== undefined
          ? { kind: 'rule', rule: body.rule }
          : { kind: 'running' },
    ...(body.only ? { only: body.only } : {}),
    from: Date.parse(body.from),
    ...(body.to !== undefined ? { to: Date.parse(body.to) } : {}),
    source: body.source,
    ...(body.tick_ms !== undefined ? { tick_ms: body.tick_ms } : {}),
    ...(body.tolerance_ms !== undefined ? { tolerance_ms: body.tolerance_ms } : {}),
    ...(body.match_window_ms !== undefined ? { match_window_ms: body.match_window_ms } : {}),
  };
}

/** Backtest runs: create (asynchronous), list, status with progress, result, cancel. */
export function backtestRoutes(backtests: BacktestService): (api: ApiRouter) => void {
  return (api) => {
    api.add(
      {
        method: 'post',
        path: '/api/v1/backtests',
        access: 'operator',
        summary:
          'Backtest guardian rules (running, a candidate policy, or one edited rule) over a range: 201 with the ' +
          'finished run, or 202 while it runs (poll it); one run at a time',
        tags: ['backtest'],
        body: createBacktestBody,
        responses: {
          ...stdErrors,
          201: { description: 'the run finished within backtest.sync_wait_ms', schema: backtestRunSchema },
          202: { description: 'the run started and is still running', schema: backtestRunSchema },
          400: {
            description:
              'invalid request, policy_invalid, backtest_unknown_signal (paths in details), backtest_range_too_long (limits in details)',
            schema: stdErrors[400].schema,
          },
          409: {
            description: 'backtest_busy: another run is running (details.running)',
            schema: stdErrors[400].schema,
          },
        },
      },
      async ({ body, principal, res }) => {
        const r = await guard(() => backtests.create(backtestRequestOf(body), actorOf(principal)));
        res.status(r.finished ? 201 : 202);
        return r.run;
      }
    );
    api.add(
      {
        method: 'get',
        path: '/api/v1/backtests',
        access: 'viewer',
        summary: 'Backtest runs, newest first',
        tags: ['backtest'],
        query: z.strictObject({
          cursor: cursorParam.optional(),
          limit: limitParam(200, 50),
          status: z.enum(BACKTEST_STATUSES).optional(),
        }),
        responses: { 200: { description: 'runs', schema: pageOf(backtestRunSchema) }, ...stdErrors },
      },
      ({ query }) =>
        pageBySeq(
          backtests.list({ before: query.cursor, status: query.status, limit: query.limit + 1 }),
          query.limit,
          (run) => backtests.view(run)
        )
    );
    api.add(
      {
        method: 'get',
        path: '/api/v1/backtests/:id',
        access: 'viewer',
        summary: 'One backtest run: status, progress (ticks done of ticks total), summary when it ended',
        tags: ['backtest'],
        params: idParam,
        responses: {
          200: { description: 'run', schema: backtestRunSchema },
          404: { description: 'no such run' },
          ...stdErrors,
        },
      },
      ({ params }) => guard(() => backtests.get(params.id))
    );
    api.add(
      {
        method: 'get',
        path: '/api/v1/backtests/:id/result',
        access: 'viewer',
        summary:
          'The result of an ended run: would-fire times with inputs and thresholds, would-be incidents and steps, ' +
          'the charted signal, and the comparison with what really happened',
        tags: ['backtest'],
        params: idParam,
        responses: {
          200: { description: 'result', schema: backtestResultSchema },
          404: { description: 'no such run' },
          409: { description: 'backtest_no_result: running, cancelled or failed', schema: stdErrors[400].schema },
          ...stdErrors,
        },
      },
      ({ params }) => guard(() => backtests.result(params.id))
    );
    api.add(
      {
        method: 'post',
        path: '/api/v1/backtests/:id/cancel',
        access: 'operator',
        summary: 'Cancel a running backtest; answers once it stopped (status cancelled, no result written)',
        tags: ['backtest'],
        params: idParam,
        body: z.strictObject({
          reason: z.string().trim().max(1000).optional().describe('Why (recorded in the audit log)'),
        }),
        responses: {
          200: { description: 'the cancelled run', schema: backtestRunSchema },
          404: { description: 'no such run' },
          409: { description: 'conflict: the run already ended', schema: stdErrors[400].schema },
          ...stdErrors,
        },
      },
      ({ params }) => guard(() => backtests.cancel(params.id))
    );
  };
}
