import React from 'react';
import { PluginPage } from '@grafana/runtime';
import { Alert, Badge, type BadgeColor, LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import { type Agent, lookoutApi } from '../../api';
import { formatValue, timeAgo } from '../../data/format';
import { useAsync } from '../../hooks/useAsync';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './AgentsTasks.styles';

const AGENT_STATUS_COLOR: Record<Agent['status'], BadgeColor> = {
  idle: 'green',
  busy: 'blue',
  offline: 'darkgrey',
  down: 'red',
};

export function AgentsTasks(): React.JSX.Element {
  const s = useStyles2(getStyles);
  const agents = useAsync(() => lookoutApi.agents(), [], { intervalMs: 10_000 });
  const tasks = useAsync(() => lookoutApi.tasks(), [], { intervalMs: 10_000 });
  return (
    <PluginPage>
      <div data-testid={TEST_IDS.pages.agents}>
        <section className={s.section} aria-label="Agents">
          <h3 className={s.heading}>Agents</h3>
          {agents.error && (
            <Alert severity="error" title="Cannot load agents">
              {agents.error.message}
            </Alert>
          )}
          {!agents.value && !agents.error && <LoadingPlaceholder text="Loading agents…" />}
          {agents.value && agents.value.items.length === 0 && <p className={s.muted}>No agents registered.</p>}
          {agents.value && agents.value.items.length > 0 && (
            <table className={s.table}>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Status</th>
                  <th>Capabilities</th>
                  <th>Priority</th>
                  <th>Last heartbeat</th>
                </tr>
              </thead>
              <tbody>
                {agents.value.items.map((a) => (
                  <tr key={a.name}>
                    <td>{a.name}</td>
                    <td>
                      <Badge text={a.status} color={AGENT_STATUS_COLOR[a.status]} />
                    </td>
                    <td>{a.capabilities.join(', ')}</td>
                    <td>{formatValue(a.priority_score)}</td>
                    <td>{timeAgo(a.last_heartbeat)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section className={s.section} aria-label="Tasks">
          <h3 className={s.heading}>Tasks</h3>
          {tasks.error && (
            <Alert severity="error" title="Cannot load tasks">
              {tasks.error.message}
            </Alert>
          )}
          {!tasks.value && !tasks.error && <LoadingPlaceholder text="Loading tasks…" />}
          {tasks.value && tasks.value.items.length === 0 && <p className={s.muted}>No tasks.</p>}
          {tasks.value && tasks.value.items.length > 0 && (
            <table className={s.table}>
              <thead>
                <tr>
                  <th>Title</th>
                  <th>Status</th>
                  <th>Priority</th>
                  <th>Category</th>
                  <th>Agent</th>
                </tr>
              </thead>
              <tbody>
                {tasks.value.items.map((t) => (
                  <tr key={t.id}>
                    <td>{t.title}</td>
                    <td>{t.status}</td>
                    <td>{formatValue(t.priority)}</td>
                    <td>{t.category ?? '—'}</td>
                    <td>{t.agent ?? '—'}</td>
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

export default AgentsTasks;
