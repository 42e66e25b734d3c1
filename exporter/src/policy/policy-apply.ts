import { z } from 'zod';
import type { Change, Interlock } from '../actions/actions-repository';
import type { LocalAction } from '../actions/local-action';
import { parseActionParams } from '../actions/local-action';
import { PlanRefusedError } from '../actions/action-errors';
import { ApiError } from '../api/errors';
import type { BacktestService } from '../backtest/backtest-service';
import { backtestApiError } from '../backtest/backtest-router';
import { durationSchema } from '../guardian/duration';
import { type EntriesDiff, diffIsEmpty, diffPolicies } from './policy-diff';
import type { PolicyService } from './policy-service';
import type { PolicyDocument } from './policy-document';

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

/**
 * `policy_apply`: promote a policy with evidence. Its plan validates the candidate, diffs it against the
 * running policy rule by rule (the changes), and backtests it over a window (the evidence; the run is
 * kept like any backtest); apply writes the policy file atomically and loads it (the hot reload then
 * finds it unchanged). Admin only; allowed while the kill switch is engaged (a policy change stops
 * nothing). The plan is bound to the running policy's version.
 */
export function policyApplyAction(deps: {
  policy: PolicyService;
  backtests: BacktestService;
  planWindowMs: number;
}): LocalAction {
  const { policy, backtests } = deps;
  /** The candidate document of valid params (validated again at apply: the sidecar may have changed). */
  const candidate = (content: string): { version: string; document: PolicyDocument; warnings: unknown[] } => {
    const v = policy.validate(content);
    if (!v.ok) {
      const first = v.problems[0]!;
      throw new PlanRefusedError('policy_invalid', `${first.path}: ${first.message}`, v.problems);
    }
    return v.policy;
  };
  return {
    name: POLICY_APPLY,
    summary: 'Replace the running policy: the plan shows the rule diff and a backtest of the candidate',
    access: 'admin',
    refusedByKillSwitch: false,
    params(raw) {
      const p = parseActionParams(POLICY_APPLY, paramsSchema, raw);
      const c = candidate(p.content);
      return { content: p.content, source: p.source, window_ms: p.window ?? deps.planWindowMs, version: c.version };
    },
    target: () => ({ policy_version: policy.current().running.version }),
    judge(params) {
      const running = policy.current().running;
      const c = candidate(String(params['content']));
      const diff = diffPolicies(running.document, c.document);
      const interlocks: Interlock[] = [];
      if (running.source.kind !== 'file') {
        interlocks.push({
          code: 'no_policy_file',
          message: 'the running policy is the inline config: policy_apply writes policy.file, and none is set',
        });
      }
      if (c.version === running.version) {
        interlocks.push({ code: 'no_change', message: `the candidate is the running policy (${running.version})` });
      }
      return {
        changes: [
          { field: 'policy.version', from: running.version, to: c.version },
          ...changesOf('guardian.rules', diff.rules),
          ...changesOf('guardian.playbooks', diff.playbooks),
          ...changesOf('scheduler.policies', diff.scheduler_policies),
          ...changesOf('signals', diff.signals),
          ...(diff.description ? [{ field: 'description', from: diff.description.from, to: diff.description.to }] : []),
        ],
        interlocks,
      };
    },
    async evidence(params, caller) {
      const running = policy.current().running;
      const c = candidate(String(params['content']));
      const now = Date.now();
      let backtest: Awaited<ReturnType<BacktestService['runToEnd']>>;
      try {
        backtest = await backtests.runToEnd(
          {
            rules: { kind: 'policy', content: String(params['content']) },
            from: now - Number(params['window_ms']),
            to: now,
            source: params['source'] === 'prometheus' ? 'prometheus' : 'store',
          },
          caller.actor
        );
      } catch (err) {
        const api = backtestApiError(err);
        if (api instanceof ApiError) throw new PlanRefusedError(api.code, `backtest: ${api.message}`, api.details);
        throw err;
      }
      const { run, result } = backtest;
      const diff = diffPolicies(running.document, c.document);
      return {
        params: { backtest_id: run.id },
        evidence: {
          running_version: running.version,
          candidate_version: c.version,
          unchanged: diffIsEmpty(diff),
          diff,
          warnings: c.warnings,
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
    execute(req) {
      const r = policy.writeAndLoad(String(req.params['content']), {
        actor: req.actor,
        reason: req.reason,
        action_id: req.action_id,
      });
      if (r.version !== req.params['version']) {
        return {
          ok: false,
          message: `wrote ${r.file} but the running policy is ${r.version}, not the planned ${String(req.params['version'])}`,
          data: r,
        };
      }
      return { ok: true, message: `policy ${r.version} written to ${r.file} and loaded`, data: r };
    },
  };
}
