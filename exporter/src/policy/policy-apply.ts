import { z } from 'zod';
import type { Change, Interlock } from '../actions/actions-repository';
import type { Caller, PlannedAction } from '../actions/action-service';
import { PlanRefusedError } from '../actions/action-errors';
import type { ExecutionRequest, ExecutionResult, Executor } from '../actions/executors';
import { ApiError } from '../api/errors';
import type { BacktestService } from '../backtest/backtest-service';
import { backtestApiError } from '../backtest/backtest-router';
import { durationSchema } from '../guardian/duration';
import { type EntriesDiff, diffIsEmpty, diffPolicies } from './policy-diff';
import type { PolicyService } from './policy-service';

export const POLICY_APPLY = 'policy_apply';

const paramsSchema = z.strictObject({
  content: z.string().min(1).describe('The candidate policy text (YAML or JSON)'),
  window: durationSchema
    .optional()
    .describe('Backtest the candidate over the last <window> (default backtest.plan_window)'),
  source: z.enum(['store', 'prometheus']).default('store'),
});

/** A diff as plan changes: one per added or removed entry, one per changed field. */
function changesOf(what: string, d: EntriesDiff): Change[] {
  return [
    ...d.added.map((a) => ({ field: `${what}.${a.name}`, from: null, to: a.to })),
    ...d.removed.map((r) => ({ field: `${what}.${r.name}`, from: r.from, to: null })),
    ...d.changed.flatMap((c) =>
      c.fields.map((f) => ({ field: `${what}.${c.name}.${f.field}`, from: f.from, to: f.to }))
    ),
  ];
}

/** Writes and loads the policy; it runs inside the sidecar (the executor kind `local`). */
class PolicyApplyExecutor implements Executor {
  readonly kind = 'local' as const;
  constructor(private readonly policy: PolicyService) {}
  execute(req: ExecutionRequest): Promise<ExecutionResult> {
    try {
      const r = this.policy.writeAndLoad(String(req.params['content']), {
        actor: req.actor,
        reason: req.reason,
        action_id: req.action_id,
      });
      if (r.version !== req.params['version']) {
        return Promise.resolve({
          ok: false,
          message: `wrote ${r.file} but the running policy is ${r.version}, not the planned ${String(req.params['version'])}`,
          data: r,
        });
      }
      return Promise.resolve({ ok: true, message: `policy ${r.version} written to ${r.file} and loaded`, data: r });
    } catch (err) {
      return Promise.resolve({ ok: false, message: (err as Error).message });
    }
  }
}

/**
 * `policy_apply`: promote a policy with evidence. Its plan validates the candidate, diffs it against the
 * running policy rule by rule, and backtests it over a window (the run is kept like any backtest); apply
 * writes the policy file atomically and loads it (the hot reload then finds it unchanged). Admin only;
 * allowed while the kill switch is engaged (a policy change stops nothing).
 */
export function policyApplyAction(deps: {
  policy: PolicyService;
  backtests: BacktestService;
  planWindowMs: number;
}): PlannedAction {
  const { policy, backtests } = deps;
  return {
    name: POLICY_APPLY,
    summary: 'Replace the running policy: the plan shows the rule diff and a backtest of the candidate',
    access: 'admin',
    executor: new PolicyApplyExecutor(policy),
    whileKilled: true,
    state: () => ({ policy_version: policy.current().running.version }),
    interlocks: (params) => {
      const running = policy.current().running;
      const out: Interlock[] = [];
      if (running.source.kind !== 'file') {
        out.push({
          code: 'no_policy_file',
          message: 'the running policy is the inline config: policy_apply writes policy.file, and none is set',
        });
      }
      if (params['version'] === running.version) {
        out.push({ code: 'no_change', message: `the candidate is the running policy (${running.version})` });
      }
      return out;
    },
    async plan(raw: Record<string, unknown>, caller: Caller) {
      const p = paramsSchema.safeParse(raw);
      if (!p.success) {
        const problems = p.error.issues.map((i) => ({
          path: ['body', 'params', ...i.path.map(String)].join('.'),
          message: i.message,
          code: i.code,
        }));
        throw new PlanRefusedError('invalid_request', `${problems[0]!.path}: ${problems[0]!.message}`, problems);
      }
      const v = policy.validate(p.data.content);
      if (!v.ok) {
        const first = v.problems[0]!;
        throw new PlanRefusedError('policy_invalid', `${first.path}: ${first.message}`, v.problems);
      }
      const running = policy.current().running;
      const diff = diffPolicies(running.document, v.policy.document);
      const windowMs = p.data.window ?? deps.planWindowMs;
      const now = Date.now();
      let backtest: Awaited<ReturnType<BacktestService['runToEnd']>>;
      try {
        backtest = await backtests.runToEnd(
          { rules: { kind: 'policy', content: p.data.content }, from: now - windowMs, to: now, source: p.data.source },
          caller.actor
        );
      } catch (err) {
        const api = backtestApiError(err);
        if (api instanceof ApiError) throw new PlanRefusedError(api.code, `backtest: ${api.message}`, api.details);
        throw err;
      }
      const { run, result } = backtest;
      const changes: Change[] = [
        { field: 'policy.version', from: running.version, to: v.policy.version },
        ...changesOf('guardian.rules', diff.rules),
        ...changesOf('guardian.playbooks', diff.playbooks),
        ...changesOf('scheduler.policies', diff.scheduler_policies),
        ...changesOf('signals', diff.signals),
        ...(diff.description ? [{ field: 'description', from: diff.description.from, to: diff.description.to }] : []),
      ];
      return {
        params: {
          content: p.data.content,
          version: v.policy.version,
          window_ms: windowMs,
          source: p.data.source,
          backtest_id: run.id,
        },
        changes,
        evidence: {
          running_version: running.version,
          candidate_version: v.policy.version,
          unchanged: diffIsEmpty(diff),
          diff,
          warnings: v.policy.warnings,
          backtest: {
            id: run.id,
            status: run.status,
            source: run.source,
            range: { from: run.range_from, to: run.range_to },
            tick_ms: run.tick_ms,
            error: run.error,
            summary: run.summary,
            comparison: result ? (result['comparison'] as Record<string, unknown>) : null,
            partial: result ? (result['partial'] ?? null) : null,
            result: `/api/v1/backtests/${run.id}/result`,
          },
        },
      };
    },
  };
}
