import React, { useState } from 'react';
import { PluginPage } from '@grafana/runtime';
import { Alert, Badge, Button, LinkButton, LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import { lookoutApi } from '../../api';
import { ActionFlow } from '../../components/ActionFlow';
import { DecisionDrawer } from '../../components/DecisionDrawer';
import { KillSwitchBanner } from '../../components/KillSwitchBanner';
import { PLUGIN_BASE_URL, ROUTES } from '../../constants';
import { decisionIdOf } from '../../data/feed';
import { formatDuration, timeAgo } from '../../data/format';
import { currentOrgRole, roleAvailability } from '../../data/roles';
import { useAsync } from '../../hooks/useAsync';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './Overview.styles';

export function Overview(): React.JSX.Element {
  const s = useStyles2(getStyles);
  const status = useAsync(() => lookoutApi.status(), [], { intervalMs: 10_000 });
  const incidents = useAsync(() => lookoutApi.incidents('open'), [], { intervalMs: 10_000 });
  const decisions = useAsync(() => lookoutApi.feed('scheduler', { limit: 20 }), [], { intervalMs: 15_000 });
  const [why, setWhy] = useState<string>();
  const [schedulerAction, setSchedulerAction] = useState<'scheduler_pause' | 'scheduler_resume'>();
  const st = status.value;
  const can = roleAvailability(currentOrgRole(), 'Editor');
  const sched = st?.scheduler;

  return (
    <PluginPage>
      <div data-testid={TEST_IDS.pages.overview}>
        {status.error && (
          <Alert severity="error" title="Cannot reach the Lookout sidecar">
            {status.error.message}
          </Alert>
        )}
        {!st && !status.error && <LoadingPlaceholder text="Loading status…" />}
        {st && (
          <section className={s.section} aria-label="Status">
            <KillSwitchBanner killSwitch={st.kill_switch} />
            {st.workload_telemetry.stale && (
              <div data-testid={TEST_IDS.telemetry.stale}>
                <Alert severity="error" title="Workload telemetry is stale">
                  Nothing received for {formatDuration(st.workload_telemetry.age_s ?? 0)} (the TTL is{' '}
                  {formatDuration(st.workload_telemetry.ttl_s)}): the workload may have stopped, its series are no
                  longer exported, and every guardian rule over its telemetry sees no data.
                </Alert>
              </div>
            )}
            {st.policy.last_error && (
              <Alert severity="warning" title="The policy file has a refused change">
                {st.policy.last_error.problems} problem(s); version {st.policy.version} keeps running.{' '}
                <LinkButton variant="secondary" fill="text" size="sm" href={`${PLUGIN_BASE_URL}/${ROUTES.Policy}`}>
                  See the policy
                </LinkButton>
              </Alert>
            )}
            <div className={s.stats}>
              <div className={s.stat}>
                <span>Node</span>
                <strong>{st.node}</strong>
              </div>
              <div className={s.stat}>
                <span>Version</span>
                <strong>{st.version}</strong>
              </div>
              <div className={s.stat}>
                <span>Uptime</span>
                <strong>{formatDuration(st.uptime_s)}</strong>
              </div>
              <div className={s.stat}>
                <span>Scheduler</span>
                <strong>{sched?.paused ? 'paused' : 'running'}</strong>
              </div>
              <div className={s.stat}>
                <span>Open incidents</span>
                <strong>{st.incidents?.open ?? incidents.value?.items.length ?? '—'}</strong>
              </div>
              <div className={s.stat}>
                <span>Telemetry</span>
                <strong title={st.workload_telemetry.newest_ts ?? undefined}>
                  {st.workload_telemetry.age_s === null
                    ? 'none yet'
                    : st.workload_telemetry.stale
                      ? 'stale'
                      : `${formatDuration(st.workload_telemetry.age_s)} old`}
                </strong>
              </div>
              <div className={s.stat}>
                <span>Policy</span>
                <strong>
                  <a className={s.link} href={`${PLUGIN_BASE_URL}/${ROUTES.Policy}`} title={st.policy.version}>
                    {st.policy.version.slice(0, 8)}
                  </a>
                </strong>
              </div>
            </div>
          </section>
        )}
        {sched && (
          <section className={s.section} aria-label="Scheduler">
            <h3 className={s.heading}>Scheduler</h3>
            <div className={s.toolbar}>
              <span data-testid={TEST_IDS.scheduler.state} data-paused={String(sched.paused)}>
                <Badge text={sched.paused ? 'paused' : 'running'} color={sched.paused ? 'orange' : 'green'} />{' '}
                {sched.actor
                  ? `${sched.paused ? 'Paused' : 'Resumed'} by ${sched.actor} ${timeAgo(sched.since)}${sched.reason ? `: ${sched.reason}` : ''}`
                  : sched.paused
                    ? 'Paused'
                    : 'Deciding on its policies'}
              </span>
              {sched.paused ? (
                <Button
                  icon="play"
                  data-testid={TEST_IDS.scheduler.resume}
                  disabled={!can.enabled}
                  tooltip={can.enabled ? undefined : can.reason}
                  onClick={() => setSchedulerAction('scheduler_resume')}
                >
                  Resume
                </Button>
              ) : (
                <Button
                  icon="pause"
                  variant="secondary"
                  data-testid={TEST_IDS.scheduler.pause}
                  disabled={!can.enabled}
                  tooltip={can.enabled ? undefined : can.reason}
                  onClick={() => setSchedulerAction('scheduler_pause')}
                >
                  Pause
                </Button>
              )}
              {!can.enabled && (
                <span className={s.muted} data-testid={TEST_IDS.scheduler.reason}>
                  {can.reason}
                </span>
              )}
            </div>
          </section>
        )}
        <section className={s.section} aria-label="Open incidents">
          <h3 className={s.heading}>Open incidents</h3>
          {incidents.error && (
            <Alert severity="error" title="Cannot load incidents">
              {incidents.error.message}
            </Alert>
          )}
          {incidents.value && incidents.value.items.length === 0 && <p className={s.muted}>No open incidents.</p>}
          {incidents.value && incidents.value.items.length > 0 && (
            <table className={s.table}>
              <thead>
                <tr>
                  <th>Severity</th>
                  <th>Title</th>
                  <th>Rule</th>
                  <th>Opened</th>
                </tr>
              </thead>
              <tbody>
                {incidents.value.items.slice(0, 10).map((i) => (
                  <tr key={i.id}>
                    <td>
                      <Badge text={i.severity} color={i.severity === 'critical' ? 'red' : 'orange'} />
                    </td>
                    <td>{i.title}</td>
                    <td>{i.rule}</td>
                    <td>{timeAgo(i.opened_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <LinkButton variant="secondary" fill="text" href={`${PLUGIN_BASE_URL}/${ROUTES.Incidents}`}>
            All incidents
          </LinkButton>
        </section>
        <section className={s.section} aria-label="Recent decisions">
          <h3 className={s.heading}>Recent decisions</h3>
          {decisions.error && (
            <Alert severity="error" title="Cannot load decisions">
              {decisions.error.message}
            </Alert>
          )}
          {decisions.value && decisions.value.items.length === 0 && (
            <p className={s.muted}>No scheduler decisions yet.</p>
          )}
          {decisions.value && decisions.value.items.length > 0 && (
            <table className={s.table}>
              <tbody>
                {decisions.value.items.slice(0, 10).map((e) => {
                  const id = decisionIdOf(e);
                  return (
                    <tr key={e.id}>
                      <td>{timeAgo(e.ts)}</td>
                      <td>{e.kind}</td>
                      <td>{e.subject}</td>
                      <td>
                        {id && (
                          <Button
                            size="sm"
                            variant="secondary"
                            fill="text"
                            icon="question-circle"
                            onClick={() => setWhy(id)}
                          >
                            Why
                          </Button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </section>
        {why && <DecisionDrawer decisionId={why} onClose={() => setWhy(undefined)} />}
        {schedulerAction && (
          <ActionFlow
            action={schedulerAction}
            onDismiss={() => {
              setSchedulerAction(undefined);
              status.reload();
            }}
            onFinished={() => status.reload()}
          />
        )}
      </div>
    </PluginPage>
  );
}

export default Overview;
