import React, { useCallback, useEffect, useRef, useState } from 'react';
import { PluginPage } from '@grafana/runtime';
import { Alert, Badge, Button, RadioButtonGroup, TextArea, useStyles2 } from '@grafana/ui';
import {
  LookoutApiError,
  type BacktestResult as Result,
  type BacktestRun,
  type BacktestSource,
  type PolicyProblem,
} from '../../api';
import { ActionFlow } from '../../components/ActionFlow';
import { BacktestResult } from '../../components/BacktestResult';
import { ProblemsTable } from '../../components/ProblemsTable';
import { RANGE_PRESETS, RULE_TEMPLATE, backtestBody } from '../../data/backtest';
import { timeAgo } from '../../data/format';
import { currentOrgRole, hasRole } from '../../data/roles';
import { useAsync } from '../../hooks/useAsync';
import { useLookoutApi } from '../../hooks/useNodeScope';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './Backtest.styles';

type Mode = 'running' | 'policy' | 'rule';

const MODES: Array<{ label: string; value: Mode; description: string }> = [
  { label: 'Running rules', value: 'running', description: 'The policy the guardian runs now' },
  { label: 'Candidate policy', value: 'policy', description: 'A whole policy text (YAML or JSON)' },
  { label: 'One rule', value: 'rule', description: 'One guardian rule (JSON), with the running playbooks' },
];

const SOURCES: Array<{ label: string; value: BacktestSource }> = [
  { label: "Sidecar's history", value: 'store' },
  { label: 'Prometheus', value: 'prometheus' },
];

const STATUS_COLORS = {
  running: 'blue',
  succeeded: 'green',
  partial: 'orange',
  failed: 'red',
  cancelled: 'purple',
} as const;

interface Refusal {
  message: string;
  problems: PolicyProblem[];
}

/** The field problems of a refusal (a policy's paths, the request's own, or unknown signals), when it has any. */
function refusalOf(e: unknown): Refusal {
  const err = e as LookoutApiError;
  const details = Array.isArray(err.details) ? (err.details as PolicyProblem[]) : [];
  return { message: err.message ?? String(e), problems: details.filter((p) => typeof p?.path === 'string') };
}

/**
 * Backtests: pick the running rules or edit a candidate, choose a range, run (progress, cancel), then see each rule's
 * signal with the ticks it would have fired at and the ticks it really fired at, and the differences. Editors run;
 * everyone reads past runs. An Admin promotes a candidate policy through policy_apply, whose plan shows this evidence.
 */
export function Backtest(): React.JSX.Element {
  const s = useStyles2(getStyles);
  const role = currentOrgRole();
  const canRun = hasRole(role, 'Editor');
  const canPromote = hasRole(role, 'Admin');
  const lookoutApi = useLookoutApi();
  const policy = useAsync(() => lookoutApi.policy(), []);
  const runs = useAsync(() => lookoutApi.backtests(20), []);
  const reloadRuns = runs.reload;
  const [mode, setMode] = useState<Mode>('running');
  const [text, setText] = useState('');
  const [rangeMs, setRangeMs] = useState<number>(RANGE_PRESETS[1].value);
  const [source, setSource] = useState<BacktestSource>('store');
  const [run, setRun] = useState<BacktestRun>();
  const [result, setResult] = useState<Result>();
  const [refusal, setRefusal] = useState<Refusal>();
  const [promoting, setPromoting] = useState(false);
  const live = useRef(true);
  useEffect(() => () => void (live.current = false), []);

  const changeMode = (m: Mode): void => {
    setMode(m);
    // A candidate starts as the running policy's own text (or a rule template), to be edited.
    if (m === 'policy') {
      setText(policy.value?.text ?? '');
    } else if (m === 'rule') {
      setText(RULE_TEMPLATE);
    }
  };

  const open = useCallback(
    async (r: BacktestRun) => {
      setRun(r);
      setResult(undefined);
      setRefusal(undefined);
      if (r.status === 'succeeded' || r.status === 'partial') {
        try {
          const res = await lookoutApi.backtestResult(r.id);
          if (live.current) {
            setResult(res);
          }
        } catch (e) {
          setRefusal(refusalOf(e));
        }
      }
    },
    [lookoutApi]
  );

  // Follow a running backtest until it ends, then load its result.
  useEffect(() => {
    if (run?.status !== 'running') {
      return undefined;
    }
    const h = setTimeout(async () => {
      try {
        const next = await lookoutApi.backtest(run.id);
        if (!live.current) {
          return;
        }
        if (next.status === 'running') {
          setRun(next);
        } else {
          await open(next);
          reloadRuns();
        }
      } catch (e) {
        setRefusal(refusalOf(e));
      }
    }, 500);
    return () => clearTimeout(h);
  }, [run, open, reloadRuns, lookoutApi]);

  const start = async (): Promise<void> => {
    const built = backtestBody({ mode, text, rangeMs, source });
    if ('problem' in built) {
      setRefusal({ message: built.problem, problems: [] });
      return;
    }
    setRefusal(undefined);
    setResult(undefined);
    try {
      const created = await lookoutApi.createBacktest(built.body as Parameters<typeof lookoutApi.createBacktest>[0]);
      await open(created);
      if (created.status !== 'running') {
        reloadRuns();
      }
    } catch (e) {
      setRefusal(refusalOf(e));
    }
  };

  const cancel = async (): Promise<void> => {
    if (!run) {
      return;
    }
    try {
      setRun(await lookoutApi.cancelBacktest(run.id));
      reloadRuns();
    } catch (e) {
      setRefusal(refusalOf(e));
    }
  };

  const running = run?.status === 'running';
  return (
    <PluginPage>
      <div data-testid={TEST_IDS.pages.backtest}>
        <section className={s.section} aria-label="What to backtest">
          <p className={s.muted}>
            Replays the guardian over recorded telemetry exactly as it runs live — same rules, for durations, no-data
            verdicts and latches, flushes replayed — and compares what it would have done with what really happened.
            Nothing is acted on.
          </p>
          <div className={s.toolbar} data-testid={TEST_IDS.backtest.mode}>
            <RadioButtonGroup options={MODES} value={mode} onChange={changeMode} disabled={running} />
          </div>
          {mode !== 'running' && (
            <TextArea
              className={s.editor}
              data-testid={TEST_IDS.backtest.editor}
              aria-label={mode === 'policy' ? 'Candidate policy' : 'Rule (JSON)'}
              value={text}
              onChange={(e) => setText(e.currentTarget.value)}
              rows={12}
              disabled={running}
            />
          )}
          <div className={s.toolbar} data-testid={TEST_IDS.backtest.range}>
            <span className={s.muted}>Last</span>
            <RadioButtonGroup
              options={RANGE_PRESETS.map((p) => ({ label: p.label, value: p.value }))}
              value={rangeMs}
              onChange={(v) => setRangeMs(v)}
              disabled={running}
              size="sm"
            />
            <span className={s.muted}>from</span>
            <RadioButtonGroup options={SOURCES} value={source} onChange={setSource} disabled={running} size="sm" />
          </div>
          <div className={s.toolbar}>
            <Button
              icon="play"
              onClick={start}
              disabled={!canRun || running || (mode !== 'running' && text.trim() === '')}
              data-testid={TEST_IDS.backtest.run}
              tooltip={canRun ? undefined : 'Running a backtest needs the Editor role'}
            >
              Run backtest
            </Button>
            {running && (
              <>
                <Button variant="secondary" icon="times" onClick={cancel} data-testid={TEST_IDS.backtest.cancel}>
                  Cancel
                </Button>
                <span
                  className={s.progress}
                  data-testid={TEST_IDS.backtest.progress}
                  role="progressbar"
                  aria-valuemin={0}
                  aria-valuemax={100}
                  aria-valuenow={Math.round(run.progress * 100)}
                >
                  {Math.round(run.progress * 100)} % ({run.ticks_done} of {run.ticks_total} ticks)
                </span>
              </>
            )}
            {!canRun && (
              <span className={s.muted}>Viewers read past backtests; running one needs the Editor role.</span>
            )}
          </div>
        </section>
        {refusal && (
          <div data-testid={TEST_IDS.backtest.problems}>
            <Alert severity="error" title="The backtest was refused">
              {refusal.message}
              {refusal.problems.length > 0 && <ProblemsTable problems={refusal.problems} label="Problems" />}
            </Alert>
          </div>
        )}
        {run && !running && (run.status === 'failed' || run.status === 'cancelled') && (
          <Alert severity={run.status === 'failed' ? 'error' : 'info'} title={`Backtest ${run.status}`}>
            {run.error ?? 'Nothing of its result was kept.'}
          </Alert>
        )}
        {result && <BacktestResult result={result} />}
        {result && mode === 'policy' && canPromote && run?.rules_from === 'policy' && (
          <div className={s.toolbar}>
            <Button
              icon="upload"
              variant="primary"
              onClick={() => setPromoting(true)}
              data-testid={TEST_IDS.backtest.promote}
            >
              Promote this policy…
            </Button>
            <span className={s.muted}>policy_apply: the plan shows the rule diff and a backtest before you apply.</span>
          </div>
        )}
        {promoting && (
          <ActionFlow
            action="policy_apply"
            params={{ content: text, window: rangeMs, source }}
            onDismiss={() => setPromoting(false)}
          />
        )}
        <section className={s.section} aria-label="Past backtests" data-testid={TEST_IDS.backtest.runs}>
          <h3 className={s.heading}>Past backtests</h3>
          {runs.value && runs.value.items.length === 0 && <p className={s.muted}>No backtest yet.</p>}
          {runs.value && runs.value.items.length > 0 && (
            <table className={s.table}>
              <thead>
                <tr>
                  <th>Started</th>
                  <th>By</th>
                  <th>Rules</th>
                  <th>Range</th>
                  <th>Status</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {runs.value.items.map((r) => (
                  <tr key={r.id}>
                    <td title={r.created_at}>{timeAgo(r.created_at)}</td>
                    <td>{r.actor}</td>
                    <td className={s.mono}>
                      {r.rules_from} {r.policy_version}
                    </td>
                    <td className={s.mono}>
                      {r.range_from.slice(0, 16).replace('T', ' ')} → {r.range_to.slice(0, 16).replace('T', ' ')}
                    </td>
                    <td>
                      <Badge text={r.status} color={STATUS_COLORS[r.status]} />
                    </td>
                    <td>
                      <Button
                        size="sm"
                        variant="secondary"
                        onClick={() => open(r)}
                        aria-label={`Open backtest ${r.id}`}
                      >
                        Open
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
    </PluginPage>
  );
}

export default Backtest;
