import React from 'react';
import { Alert, Drawer, LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import { lookoutApi, type Task } from '../../api';
import { timeAgo, timeUntil } from '../../data/format';
import { useAsync } from '../../hooks/useAsync';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './TaskQueue.styles';

export interface AttemptsDrawerProps {
  task: Task;
  onClose: () => void;
}

/** A task's attempts: who ran it, how each ended, the error and the retry it scheduled. */
export function AttemptsDrawer({ task, onClose }: AttemptsDrawerProps): React.JSX.Element {
  const s = useStyles2(getStyles);
  const attempts = useAsync(() => lookoutApi.taskAttempts(task.id), [task.id]);
  return (
    <Drawer title={`Task ${task.id}: ${task.title}`} onClose={onClose} size="md">
      <div data-testid={TEST_IDS.agentsPage.attempts}>
        <p className={s.muted}>
          {task.status} · {task.failures} of {task.max_attempts} attempts failed
          {task.retry_at ? ` · next try ${timeUntil(task.retry_at)}` : ''}
        </p>
        {task.last_error && (
          <Alert severity={task.status === 'dead_letter' ? 'error' : 'warning'} title="Last error">
            {task.last_error}
          </Alert>
        )}
        {attempts.error && (
          <Alert severity="error" title="Cannot load the attempts">
            {attempts.error.message}
          </Alert>
        )}
        {!attempts.value && !attempts.error && <LoadingPlaceholder text="Loading attempts…" />}
        {attempts.value && attempts.value.items.length === 0 && <p className={s.muted}>No agent has taken it yet.</p>}
        {attempts.value && attempts.value.items.length > 0 && (
          <table className={s.table}>
            <thead>
              <tr>
                <th>#</th>
                <th>Agent</th>
                <th>Started</th>
                <th>Outcome</th>
                <th>Error</th>
                <th>Retry</th>
              </tr>
            </thead>
            <tbody>
              {attempts.value.items.map((a) => (
                <tr key={a.attempt}>
                  <td>{a.attempt}</td>
                  <td>{a.agent}</td>
                  <td>{timeAgo(a.started_at)}</td>
                  <td>{a.outcome ?? 'running'}</td>
                  <td className={s.error}>{a.error ?? ''}</td>
                  <td>{a.retry_at ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </Drawer>
  );
}
