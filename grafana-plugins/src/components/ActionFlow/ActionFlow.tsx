import React, { useEffect, useMemo, useRef, useState } from 'react';
import { cx } from '@emotion/css';
import { Alert, LoadingPlaceholder, Modal, useStyles2 } from '@grafana/ui';
import { TERMINAL_ACTION_STATUSES, type ActionPlan, type ActionRecord } from '../../api';
import { useLookoutApi } from '../../hooks/useNodeScope';
import { newIdempotencyKey } from '../../data/ids';
import { formatValue } from '../../data/format';
import { TEST_IDS } from '../../testIds';
import { ApplyButtonRow, InterlocksAlert, ReasonField } from '../ApplyControls';
import { getStyles } from './ActionFlow.styles';

export interface ActionFlowProps {
  action: string;
  params?: Record<string, unknown>;
  onDismiss: () => void;
  /** Called once the action reaches a terminal status (verified, failed, timed_out). */
  onFinished?: (record: ActionRecord) => void;
  pollMs?: number;
}

const STEPS = ['applying', 'applied', 'verified'] as const;
/** A sidecar action (scheduler, task queue, agents) has no effect to verify: applied is where it ends. */
const LOCAL_STEPS = ['applying', 'applied'] as const;

/**
 * The rows of the plan's "Current state": a sidecar action's own target (the task, the agent, the pause), else the
 * whole control state a workload action is judged on.
 */
function stateRows(state: Record<string, unknown>): Array<[string, unknown]> {
  const target = state.target;
  if (target && typeof target === 'object') {
    return Object.entries(target as Record<string, unknown>).flatMap(([k, v]) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.entries(v as Record<string, unknown>).map(([k2, v2]): [string, unknown] => [`${k}.${k2}`, v2])
        : [[k, v] as [string, unknown]]
    );
  }
  return Object.entries(state).filter(([k]) => k !== 'target');
}

interface BacktestEvidence {
  id: string;
  status: string;
  range: { from: string; to: string };
  error: string | null;
  summary: { fires?: number; shadow_fires?: number; comparison?: Record<string, number> } | null;
}

/** What a plan gathered besides its changes: policy_apply's backtest of the candidate. */
function Evidence({ evidence }: { evidence: Record<string, unknown> }): React.JSX.Element | null {
  const s = useStyles2(getStyles);
  const bt = evidence.backtest as BacktestEvidence | undefined;
  if (!bt) {
    return null;
  }
  const c = bt.summary?.comparison;
  return (
    <div data-testid={TEST_IDS.actionFlow.evidence}>
      <div className={s.heading}>Evidence: backtest of the candidate</div>
      <p>
        {bt.range.from.slice(0, 16).replace('T', ' ')} → {bt.range.to.slice(0, 16).replace('T', ' ')}: {bt.status}
        {bt.summary && `; would fire ${bt.summary.fires ?? 0} times (shadow ${bt.summary.shadow_fires ?? 0})`}
        {c &&
          `; against what really happened: ${c.same} same, ${c.earlier + c.later} moved, ${c.added} added, ${c.removed} gone`}
        {bt.error && ` (${bt.error})`}. Backtest {bt.id}.
      </p>
    </div>
  );
}

/**
 * Plan → confirm → apply → follow. Nothing is applied before the user has seen the plan and typed a reason; the
 * Idempotency-Key is fixed per plan so a retried click cannot apply twice.
 */
export function ActionFlow({
  action,
  params,
  onDismiss,
  onFinished,
  pollMs = 1000,
}: ActionFlowProps): React.JSX.Element {
  const lookoutApi = useLookoutApi();
  const s = useStyles2(getStyles);
  const [plan, setPlan] = useState<ActionPlan>();
  const [error, setError] = useState<string>();
  const [reason, setReason] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [record, setRecord] = useState<ActionRecord>();
  const key = useMemo(() => newIdempotencyKey(), []);
  const finished = useRef(false);

  useEffect(() => {
    let live = true;
    lookoutApi.planAction(action, params).then(
      (p) => live && setPlan(p),
      (e: Error) => live && setError(`Planning ${action} failed: ${e.message}`)
    );
    return () => {
      live = false;
    };
  }, [action, params, lookoutApi]);

  const status = record?.status;
  const terminal =
    status !== undefined && ((TERMINAL_ACTION_STATUSES as string[]).includes(status) || Boolean(record?.finished_at));
  const steps: readonly string[] = record?.executor === 'local' ? LOCAL_STEPS : STEPS;

  useEffect(() => {
    if (!record || terminal) {
      if (record && terminal && !finished.current) {
        finished.current = true;
        onFinished?.(record);
      }
      return undefined;
    }
    const h = setTimeout(() => {
      lookoutApi
        .action(record.id)
        .then(setRecord, (e: Error) => setError(`Could not follow action ${record.id}: ${e.message}`));
    }, pollMs);
    return () => clearTimeout(h);
  }, [record, terminal, pollMs, onFinished, lookoutApi]);

  const onApply = async (): Promise<void> => {
    if (!plan || !reason.trim()) {
      return;
    }
    setSubmitting(true);
    setError(undefined);
    try {
      setRecord(await lookoutApi.applyAction(action, plan.plan_id, reason.trim(), key));
    } catch (e) {
      setError(`Applying ${action} failed: ${(e as Error).message}`);
    } finally {
      setSubmitting(false);
    }
  };

  // The sidecar decides: `allowed` already accounts for interlocks (and for any an admin set aside).
  const blocked = plan && !plan.allowed;
  const planState = stateRows(plan?.state ?? {});
  const activeInterlocks = plan?.interlocks.filter((i) => !i.overridden) ?? [];
  const failed = status === 'failed' || status === 'timed_out';

  return (
    <Modal title={`${record ? 'Applying' : 'Plan'}: ${action}`} isOpen onDismiss={onDismiss}>
      <div data-testid={TEST_IDS.actionFlow.modal}>
        {error && (
          <Alert severity="error" title="Action error">
            {error}
          </Alert>
        )}
        {!plan && !error && <LoadingPlaceholder text={`Planning ${action}…`} />}
        {plan && (
          <>
            {planState.length > 0 && (
              <>
                <div className={s.heading}>Current state</div>
                <table className={s.table} aria-label="Current state">
                  <tbody>
                    {planState.map(([k, v]) => (
                      <tr key={k}>
                        <th scope="row">{k}</th>
                        <td>{formatValue(v)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
            <div className={s.heading}>What will change</div>
            {plan.changes.length === 0 ? (
              <p>No changes: the system is already in the requested state.</p>
            ) : (
              <table className={s.table} aria-label="Changes" data-testid={TEST_IDS.actionFlow.changes}>
                <thead>
                  <tr>
                    <th>Field</th>
                    <th>From</th>
                    <th>To</th>
                  </tr>
                </thead>
                <tbody>
                  {plan.changes.map((c) => (
                    <tr key={c.field}>
                      <td>{c.field}</td>
                      <td>{formatValue(c.from)}</td>
                      <td className={s.to}>{formatValue(c.to)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {plan.evidence && <Evidence evidence={plan.evidence} />}
            <InterlocksAlert
              interlocks={plan.interlocks}
              severity={activeInterlocks.length > 0 ? 'warning' : 'info'}
              title={
                activeInterlocks.length > 0 ? 'Interlocks prevent this action' : 'Interlocks set aside (break glass)'
              }
              testId={TEST_IDS.actionFlow.interlocks}
            />
            {!record && (
              <ReasonField
                value={reason}
                onChange={setReason}
                description="Recorded in the audit log with your Grafana user"
                testId={TEST_IDS.actionFlow.reason}
              />
            )}
            {record && (
              <div className={s.steps} role="status" aria-live="polite" data-testid={TEST_IDS.actionFlow.status}>
                {steps.map((step, i) => {
                  const at = steps.indexOf(status ?? '');
                  const done = at > i || status === 'verified' || (terminal && !failed && at === i);
                  const cls = done ? s.stepDone : at === i ? s.stepCurrent : s.step;
                  return (
                    <span key={step} className={cls}>
                      {i > 0 && '→ '}
                      {step}
                    </span>
                  );
                })}
                {failed && <span className={cx(s.stepFailed)}>✕ {status}</span>}
                <span>(status: {status})</span>
              </div>
            )}
            {record && failed && Boolean(record.error) && (
              <Alert severity="error" title={`Action ${status}`}>
                {formatValue(record.error)}
              </Alert>
            )}
          </>
        )}
        <ApplyButtonRow
          applied={Boolean(record)}
          onDismiss={onDismiss}
          label={`Apply ${action}`}
          submitting={submitting}
          disabled={!plan || Boolean(blocked) || !reason.trim()}
          onApply={onApply}
          testId={TEST_IDS.actionFlow.apply}
        />
      </div>
    </Modal>
  );
}
