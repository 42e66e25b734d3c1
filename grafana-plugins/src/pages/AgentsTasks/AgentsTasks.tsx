import React, { useState } from 'react';
import { PluginPage } from '@grafana/runtime';
import { Alert, Badge, type BadgeColor, Button, Combobox, LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import { type Agent, lookoutApi, type Task, TASK_STATUSES, type TaskStatus } from '../../api';
import { ActionFlow } from '../../components/ActionFlow';
import { AssignModal, AttemptsDrawer, TaskCreateModal } from '../../components/TaskQueue';
import { formatValue, timeAgo, timeUntil } from '../../data/format';
import { currentOrgRole, roleAvailability } from '../../data/roles';
import { failuresText, taskControls } from '../../data/tasks';
import { useAsync } from '../../hooks/useAsync';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './AgentsTasks.styles';

const AGENT_STATUS_COLOR: Record<Agent['status'], BadgeColor> = {
  idle: 'green',
  busy: 'blue',
  offline: 'darkgrey',
  down: 'red',
};

const TASK_STATUS_COLOR: Record<TaskStatus, BadgeColor> = {
  queued: 'darkgrey',
  assigned: 'blue',
  in_progress: 'blue',
  done: 'green',
  dead_letter: 'red',
  cancelled: 'darkgrey',
};

const ALL = '';

/** An action to plan and apply: its name, its params, and what the dialog says it is about. */
interface Flow {
  action: string;
  params: Record<string, unknown>;
}

/**
 * Agents and the task queue, with their controls: drain, undrain and remove an agent; create, assign, requeue and
 * cancel a task. Every control that changes the queue goes through the sidecar's plan → apply dialog with a reason;
 * a Viewer sees the controls disabled and why.
 */
export function AgentsTasks(): React.JSX.Element {
  const s = useStyles2(getStyles);
  const [status, setStatus] = useState<string>(ALL);
  const agents = useAsync(() => lookoutApi.agents(), [], { intervalMs: 10_000 });
  const tasks = useAsync(
    () => lookoutApi.tasks(status ? { status: [status as TaskStatus], limit: 500 } : { limit: 500 }),
    [status],
    { intervalMs: 10_000 }
  );
  const [flow, setFlow] = useState<Flow>();
  const [assigning, setAssigning] = useState<Task>();
  const [history, setHistory] = useState<Task>();
  const [creating, setCreating] = useState(false);
  const can = roleAvailability(currentOrgRole(), 'Editor');
  const reloadAll = (): void => {
    agents.reload();
    tasks.reload();
  };
  const control = (label: string, testId: string, onClick: () => void, extra: { icon?: 'trash-alt' } = {}) => (
    <Button
      size="sm"
      variant="secondary"
      fill="outline"
      data-testid={testId}
      disabled={!can.enabled}
      tooltip={can.enabled ? undefined : can.reason}
      onClick={onClick}
      {...extra}
    >
      {label}
    </Button>
  );

  return (
    <PluginPage>
      <div data-testid={TEST_IDS.pages.agents}>
        {!can.enabled && (
          <Alert severity="info" title="Read only" data-testid={TEST_IDS.agentsPage.controlsReason}>
            {can.reason}: the controls on this page are disabled.
          </Alert>
        )}
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
                  <th>Load</th>
                  <th>Capabilities</th>
                  <th>Priority</th>
                  <th>Last heartbeat</th>
                  <th>Controls</th>
                </tr>
              </thead>
              <tbody>
                {agents.value.items.map((a) => (
                  <tr key={a.name} data-testid={TEST_IDS.agentsPage.agentRow(a.name)}>
                    <td>{a.name}</td>
                    <td>
                      <Badge text={a.status} color={AGENT_STATUS_COLOR[a.status]} />{' '}
                      {a.draining && <Badge text="draining" color="orange" icon="pause" />}
                    </td>
                    <td>
                      {a.load}/{a.max_tasks}
                    </td>
                    <td>{a.capabilities.join(', ')}</td>
                    <td>{formatValue(a.priority_score)}</td>
                    <td>{timeAgo(a.last_heartbeat)}</td>
                    <td className={s.controls}>
                      {a.draining
                        ? control('Undrain', TEST_IDS.agentsPage.undrain(a.name), () =>
                            setFlow({ action: 'agent_undrain', params: { agent: a.name } })
                          )
                        : control('Drain', TEST_IDS.agentsPage.drain(a.name), () =>
                            setFlow({ action: 'agent_drain', params: { agent: a.name } })
                          )}
                      {control(
                        'Remove',
                        TEST_IDS.agentsPage.remove(a.name),
                        () => setFlow({ action: 'agent_deregister', params: { agent: a.name } }),
                        { icon: 'trash-alt' }
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section className={s.section} aria-label="Tasks">
          <h3 className={s.heading}>Tasks</h3>
          <div className={s.toolbar}>
            <Combobox
              id="lookout-task-status"
              aria-label="Status"
              data-testid={TEST_IDS.agentsPage.statusFilter}
              width={24}
              options={[
                { label: 'All statuses', value: ALL },
                ...TASK_STATUSES.map((st) => ({ label: st === 'dead_letter' ? 'dead letters' : st, value: st })),
              ]}
              value={status}
              onChange={(o) => setStatus(o.value)}
            />
            <Button
              icon="plus"
              data-testid={TEST_IDS.agentsPage.createTask}
              disabled={!can.enabled}
              tooltip={can.enabled ? undefined : can.reason}
              onClick={() => setCreating(true)}
            >
              Create task
            </Button>
          </div>
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
                  <th>#</th>
                  <th>Title</th>
                  <th>Status</th>
                  <th>Priority</th>
                  <th>Category</th>
                  <th>Agent</th>
                  <th>Attempts</th>
                  <th>Last error</th>
                  <th>Controls</th>
                </tr>
              </thead>
              <tbody>
                {tasks.value.items.map((t) => {
                  const c = taskControls(t);
                  return (
                    <tr key={t.id} data-testid={TEST_IDS.agentsPage.taskRow(t.id)} data-status={t.status}>
                      <td>{t.id}</td>
                      <td>{t.title}</td>
                      <td>
                        <Badge
                          text={t.status === 'dead_letter' ? 'dead letter' : t.status}
                          color={TASK_STATUS_COLOR[t.status]}
                        />
                        {t.retry_at && <div className={s.muted}>retry {timeUntil(t.retry_at)}</div>}
                      </td>
                      <td>{formatValue(t.priority)}</td>
                      <td>{t.category ?? '—'}</td>
                      <td>{t.agent ?? '—'}</td>
                      <td>{failuresText(t) || t.attempts}</td>
                      <td className={s.error}>{t.last_error ?? ''}</td>
                      <td className={s.controls}>
                        {c.assign && control('Assign', TEST_IDS.agentsPage.assign(t.id), () => setAssigning(t))}
                        {c.requeue &&
                          control('Requeue', TEST_IDS.agentsPage.requeue(t.id), () =>
                            setFlow({ action: 'task_requeue', params: { task_id: t.id } })
                          )}
                        {c.cancel &&
                          control('Cancel', TEST_IDS.agentsPage.cancel(t.id), () =>
                            setFlow({ action: 'task_cancel', params: { task_id: t.id } })
                          )}
                        <Button
                          size="sm"
                          variant="secondary"
                          fill="text"
                          icon="history"
                          data-testid={TEST_IDS.agentsPage.history(t.id)}
                          onClick={() => setHistory(t)}
                        >
                          Attempts
                        </Button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </section>
        {assigning && (
          <AssignModal
            task={assigning}
            agents={agents.value?.items ?? []}
            onDismiss={() => setAssigning(undefined)}
            onChoose={(agent) => {
              setAssigning(undefined);
              setFlow({
                action: 'task_assign',
                params: agent ? { task_id: assigning.id, agent } : { task_id: assigning.id },
              });
            }}
          />
        )}
        {flow && (
          <ActionFlow
            action={flow.action}
            params={flow.params}
            onDismiss={() => {
              setFlow(undefined);
              reloadAll();
            }}
            onFinished={reloadAll}
          />
        )}
        {creating && <TaskCreateModal onCreated={() => tasks.reload()} onDismiss={() => setCreating(false)} />}
        {history && <AttemptsDrawer task={history} onClose={() => setHistory(undefined)} />}
      </div>
    </PluginPage>
  );
}

export default AgentsTasks;
