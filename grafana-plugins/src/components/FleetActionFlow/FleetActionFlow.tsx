import React, { useCallback, useEffect, useMemo, useState } from 'react';
import { Alert, Button, Field, Input, LoadingPlaceholder, Modal, useStyles2 } from '@grafana/ui';
import { fleetApi, type FleetAction, type FleetApplied, type FleetPlan, type FleetSelector } from '../../api';
import { allSettled, type NodeProgress, parseLabelSelector, progressOf } from '../../data/fleet';
import { newIdempotencyKey } from '../../data/ids';
import { TEST_IDS } from '../../testIds';
import { ApplyButtonRow, InterlocksAlert, ReasonField } from '../ApplyControls';
import { getStyles } from './FleetActionFlow.styles';

export interface FleetActionFlowProps {
  action: FleetAction;
  onDismiss: () => void;
  /** Called once every selected node reported what it did with the applied revision. */
  onFinished?: (progress: NodeProgress[]) => void;
  pollMs?: number;
}

const TITLES: Record<FleetAction, string> = { kill: 'Fleet kill', kill_release: 'Fleet release' };

/**
 * Fleet kill or release on the hub: plan (the diff per node, for every node or those with some labels) → reason →
 * apply → each node's own kill or release, followed until every selected node reports it verified (or why not).
 */
export function FleetActionFlow({
  action,
  onDismiss,
  onFinished,
  pollMs = 1000,
}: FleetActionFlowProps): React.JSX.Element {
  const s = useStyles2(getStyles);
  const [labels, setLabels] = useState('');
  const [selector, setSelector] = useState<FleetSelector | undefined>();
  const [plan, setPlan] = useState<FleetPlan>();
  const [error, setError] = useState<string>();
  const [reason, setReason] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [applied, setApplied] = useState<FleetApplied>();
  const [progress, setProgress] = useState<NodeProgress[]>([]);
  const key = useMemo(() => newIdempotencyKey(), []);
  const parsed = parseLabelSelector(labels);

  useEffect(() => {
    let live = true;
    fleetApi.plan(action, selector).then(
      (p) => live && setPlan(p),
      (e: Error) => live && setError(`Planning the ${TITLES[action].toLowerCase()} failed: ${e.message}`)
    );
    return () => {
      live = false;
    };
  }, [action, selector]);

  const settled = applied !== undefined && progress.length > 0 && allSettled(progress);
  useEffect(() => {
    if (!applied || !plan) {
      return undefined;
    }
    if (settled) {
      onFinished?.(progress);
      return undefined;
    }
    const h = setTimeout(
      () => {
        fleetApi.fleet().then(
          (f) => setProgress(progressOf(f, plan, applied.revision)),
          (e: Error) => setError(`Could not follow the nodes: ${e.message}`)
        );
      },
      progress.length ? pollMs : 0
    );
    return () => clearTimeout(h);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- onFinished is called once, when it settles
  }, [applied, plan, progress, settled, pollMs]);

  const onPlanAgain = useCallback(() => {
    if (parsed.problem) {
      return;
    }
    setPlan(undefined);
    setError(undefined);
    setSelector(parsed.selector);
  }, [parsed.problem, parsed.selector]);

  const onApply = async (): Promise<void> => {
    if (!plan || !reason.trim()) {
      return;
    }
    setSubmitting(true);
    setError(undefined);
    try {
      setApplied(await fleetApi.apply(action, plan.plan_id, reason.trim(), key));
    } catch (e) {
      setError(`Applying the ${TITLES[action].toLowerCase()} failed: ${(e as Error).message}`);
    } finally {
      setSubmitting(false);
    }
  };

  const statusOf = (node: string): NodeProgress | undefined => progress.find((p) => p.node === node);
  return (
    <Modal title={`${TITLES[action]}${applied ? `: revision ${applied.revision}` : ''}`} isOpen onDismiss={onDismiss}>
      <div data-testid={TEST_IDS.fleetFlow.modal}>
        {error && (
          <Alert severity="error" title="Fleet action error">
            {error}
          </Alert>
        )}
        {!applied && (
          <div className={s.selector}>
            <Field
              label="Nodes with labels"
              description="Empty: every node that follows the fleet kill switch"
              invalid={Boolean(parsed.problem)}
              error={parsed.problem}
            >
              <Input
                data-testid={TEST_IDS.fleetFlow.labels}
                value={labels}
                placeholder="region=eu, tier=canary"
                onChange={(e) => setLabels(e.currentTarget.value)}
              />
            </Field>
            <Button variant="secondary" onClick={onPlanAgain} disabled={Boolean(parsed.problem)}>
              Plan again
            </Button>
          </div>
        )}
        {!plan && !error && <LoadingPlaceholder text="Planning…" />}
        {plan && (
          <>
            <div className={s.heading}>{applied ? 'Each node' : 'What will change, node by node'}</div>
            <table className={s.table} aria-label="Nodes" data-testid={TEST_IDS.fleetFlow.nodes}>
              <thead>
                <tr>
                  <th>Node</th>
                  <th>State</th>
                  <th>Labels</th>
                  <th>Kill switch</th>
                  <th>{applied ? 'Reported' : 'Note'}</th>
                </tr>
              </thead>
              <tbody>
                {plan.nodes.map((n) => {
                  const p = statusOf(n.node);
                  return (
                    <tr key={n.node} data-testid={TEST_IDS.fleetFlow.node(n.node)}>
                      <td className={s.mono}>{n.node}</td>
                      <td>{n.state}</td>
                      <td className={s.mono}>
                        {Object.entries(n.labels)
                          .map(([k, v]) => `${k}=${v}`)
                          .join(', ')}
                      </td>
                      <td>
                        {!n.selected ? (
                          <span className={s.muted}>not selected ({n.from.engaged ? 'engaged' : 'running'})</span>
                        ) : n.change ? (
                          <>
                            {n.from.engaged ? 'engaged' : 'running'} →{' '}
                            <span className={s.to}>{n.to.engaged ? 'engaged' : 'running'}</span>
                          </>
                        ) : (
                          <>{n.to.engaged ? 'engaged' : 'running'} (no change)</>
                        )}
                      </td>
                      <td>
                        {applied ? (
                          n.selected ? (
                            <span
                              className={
                                p?.status === 'verified'
                                  ? s.ok
                                  : p && ['failed', 'timed_out'].includes(p.status)
                                    ? s.bad
                                    : undefined
                              }
                              data-testid={TEST_IDS.fleetFlow.nodeStatus(n.node)}
                            >
                              {p?.status ?? 'waiting'}
                              {p?.error ? `: ${p.error}` : ''}
                            </span>
                          ) : (
                            <span className={s.muted}>—</span>
                          )
                        ) : (
                          (n.note ?? '')
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <InterlocksAlert interlocks={plan.interlocks} title="The hub refuses this plan" />
            {!applied && (
              <ReasonField
                value={reason}
                onChange={setReason}
                description="Recorded in the audit log of the hub and of every node"
                testId={TEST_IDS.fleetFlow.reason}
              />
            )}
            {applied && (
              <div role="status" aria-live="polite" data-testid={TEST_IDS.fleetFlow.summary}>
                {settled
                  ? `Every selected node reported revision ${applied.revision}.`
                  : `Waiting for the nodes to report revision ${applied.revision}…`}
              </div>
            )}
          </>
        )}
        <ApplyButtonRow
          applied={Boolean(applied)}
          onDismiss={onDismiss}
          label={`Apply ${TITLES[action].toLowerCase()}`}
          submitting={submitting}
          disabled={!plan || !plan.allowed || !reason.trim()}
          onApply={onApply}
          testId={TEST_IDS.fleetFlow.apply}
        />
      </div>
    </Modal>
  );
}
