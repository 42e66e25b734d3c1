import React from 'react';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeBackend, HttpFailure, setOrgRole } from '../../test/backend';
import { makeActionRecord, makeAgent, makePlan, makeTask } from '../../test/fixtures';
import { TEST_IDS } from '../../testIds';
import { AgentsTasks } from './AgentsTasks';

describe('Agents and tasks page', () => {
  beforeEach(() => setOrgRole('Editor'));

  it('lists agents and tasks', async () => {
    fakeBackend({
      'GET api/v1/agents': () => ({
        items: [makeAgent('refactor-bot', { status: 'busy', capabilities: ['refactor', 'test'] })],
        next_cursor: null,
      }),
      'GET api/v1/tasks': () => ({
        items: [makeTask(1, { title: 'Rewrite parser', status: 'assigned', priority: 2, agent: 'refactor-bot' })],
        next_cursor: null,
      }),
    });
    render(<AgentsTasks />);
    const agents = screen.getByRole('region', { name: 'Agents' });
    expect(await within(agents).findByText('refactor-bot')).toBeInTheDocument();
    expect(within(agents).getByText('refactor, test')).toBeInTheDocument();
    const tasks = screen.getByRole('region', { name: 'Tasks' });
    expect(await within(tasks).findByText('Rewrite parser')).toBeInTheDocument();
    // The agent a task is assigned to, and the agent's last heartbeat, as the sidecar names them.
    expect(within(tasks).getByText('refactor-bot')).toBeInTheDocument();
    expect(within(agents).queryByText('—')).not.toBeInTheDocument();
  });

  it('shows empty and error states independently', async () => {
    fakeBackend({
      'GET api/v1/agents': () => ({ items: [], next_cursor: null }),
      'GET api/v1/tasks': () => {
        throw new HttpFailure(500, { error: { code: 'internal', message: 'tasks table locked' } });
      },
    });
    render(<AgentsTasks />);
    expect(await screen.findByText('No agents registered.')).toBeInTheDocument();
    expect(await screen.findByText('tasks table locked')).toBeInTheDocument();
  });

  it('shows a dead letter with its last error and requeues it through plan → apply with a reason', async () => {
    const dead = makeTask(7, {
      title: 'Poison',
      status: 'dead_letter',
      failures: 3,
      max_attempts: 3,
      attempts: 3,
      last_error: 'bad input 3',
    });
    let polls = 0;
    const { calls } = fakeBackend({
      'GET api/v1/agents': () => ({ items: [makeAgent('a1')], next_cursor: null }),
      'GET api/v1/tasks': () => ({ items: [dead], next_cursor: null }),
      'POST api/v1/actions/task_requeue/plan': () =>
        makePlan({
          plan_id: 'plan-rq',
          action: 'task_requeue',
          params: { task_id: 7 },
          state: { target: { task: { id: 7, status: 'dead_letter', failures: 3 } } },
          changes: [
            { field: 'task.status', from: 'dead_letter', to: 'queued' },
            { field: 'task.failures', from: 3, to: 0 },
          ],
        }),
      'POST api/v1/actions/task_requeue/apply': () =>
        makeActionRecord({ id: 'act-rq', action: 'task_requeue', executor: 'local', status: 'applying' }),
      'GET api/v1/actions/act-rq': () =>
        makeActionRecord({
          id: 'act-rq',
          action: 'task_requeue',
          executor: 'local',
          status: 'applied',
          finished_at: ++polls > 0 ? '2026-11-21T12:00:01.000Z' : null,
        }),
    });
    render(<AgentsTasks />);
    const row = await screen.findByTestId(TEST_IDS.agentsPage.taskRow(7));
    expect(row).toHaveTextContent('dead letter');
    expect(row).toHaveTextContent('3 of 3 failed');
    expect(row).toHaveTextContent('bad input 3');
    expect(within(row).queryByTestId(TEST_IDS.agentsPage.assign(7))).not.toBeInTheDocument();

    await userEvent.click(within(row).getByTestId(TEST_IDS.agentsPage.requeue(7)));
    const modal = await screen.findByTestId(TEST_IDS.actionFlow.modal);
    // The plan shows the task as it stands and what the requeue changes.
    expect(await within(modal).findByRole('table', { name: 'Current state' })).toHaveTextContent(
      'task.statusdead_letter'
    );
    expect(within(modal).getByRole('table', { name: 'Changes' })).toHaveTextContent('task.failures30');
    await userEvent.type(within(modal).getByTestId(TEST_IDS.actionFlow.reason), 'input fixed upstream');
    await userEvent.click(within(modal).getByTestId(TEST_IDS.actionFlow.apply));
    await waitFor(() =>
      expect(within(modal).getByTestId(TEST_IDS.actionFlow.status)).toHaveTextContent('status: applied')
    );
    expect(calls.find((c) => c.path === 'api/v1/actions/task_requeue/plan')!.body).toEqual({ params: { task_id: 7 } });
    expect(calls.find((c) => c.path === 'api/v1/actions/task_requeue/apply')!.body).toEqual({
      plan_id: 'plan-rq',
      reason: 'input fixed upstream',
    });
  });

  it('assigns a task to the agent chosen, and shows the sidecar refusing it with its reason', async () => {
    const { calls } = fakeBackend({
      'GET api/v1/agents': () => ({
        items: [makeAgent('a1'), makeAgent('drained', { draining: true })],
        next_cursor: null,
      }),
      'GET api/v1/tasks': () => ({ items: [makeTask(3, { title: 'Waiting' })], next_cursor: null }),
      'POST api/v1/actions/task_assign/plan': () =>
        makePlan({
          action: 'task_assign',
          params: { task_id: 3, agent: 'a1' },
          changes: [],
          allowed: false,
          interlocks: [{ code: 'missing_capabilities', message: 'agent a1 lacks capabilities: gpu' }],
        }),
    });
    render(<AgentsTasks />);
    await userEvent.click(await screen.findByTestId(TEST_IDS.agentsPage.assign(3)));
    const chooser = await screen.findByTestId(TEST_IDS.agentsPage.assignModal);
    // A draining agent is not offered.
    await userEvent.type(within(chooser).getByRole('combobox'), 'a1');
    await userEvent.keyboard('{ArrowDown}{Enter}');
    await userEvent.click(within(chooser).getByTestId(TEST_IDS.agentsPage.assignPlan));
    const modal = await screen.findByTestId(TEST_IDS.actionFlow.modal);
    expect(await within(modal).findByTestId(TEST_IDS.actionFlow.interlocks)).toHaveTextContent(
      'agent a1 lacks capabilities: gpu'
    );
    expect(within(modal).getByTestId(TEST_IDS.actionFlow.apply)).toBeDisabled();
    expect(calls.find((c) => c.path === 'api/v1/actions/task_assign/plan')!.body).toEqual({
      params: { task_id: 3, agent: 'a1' },
    });
  });

  it('drains an agent through the plan dialog', async () => {
    fakeBackend({
      'GET api/v1/agents': () => ({ items: [makeAgent('a1')], next_cursor: null }),
      'GET api/v1/tasks': () => ({ items: [], next_cursor: null }),
      'POST api/v1/actions/agent_drain/plan': () =>
        makePlan({
          action: 'agent_drain',
          params: { agent: 'a1' },
          state: { target: { agent: { name: 'a1', draining: false } } },
          changes: [{ field: 'agent.draining', from: false, to: true }],
        }),
    });
    render(<AgentsTasks />);
    await userEvent.click(await screen.findByTestId(TEST_IDS.agentsPage.drain('a1')));
    expect(await screen.findByRole('table', { name: 'Changes' })).toHaveTextContent('agent.drainingfalsetrue');
  });

  it('creates a task, showing the field the sidecar refused next to it', async () => {
    fakeBackend({
      'GET api/v1/agents': () => ({ items: [], next_cursor: null }),
      'GET api/v1/tasks': () => ({ items: [], next_cursor: null }),
      'POST api/v1/tasks': () => {
        throw new HttpFailure(400, {
          error: {
            code: 'invalid_request',
            message: 'body.max_attempts: Too big',
            details: [{ path: 'body.max_attempts', message: 'Too big: expected number to be <=100', code: 'too_big' }],
          },
        });
      },
    });
    render(<AgentsTasks />);
    await userEvent.click(await screen.findByTestId(TEST_IDS.agentsPage.createTask));
    await userEvent.type(screen.getByTestId(TEST_IDS.agentsPage.createTitle), 'Retrain nightly');
    await userEvent.type(screen.getByLabelText('Max attempts'), '500');
    await userEvent.click(screen.getByTestId(TEST_IDS.agentsPage.createSubmit));
    expect(await screen.findByText('Too big: expected number to be <=100')).toBeInTheDocument();
  });

  it('shows a Viewer every control disabled, and why', async () => {
    setOrgRole('Viewer');
    fakeBackend({
      'GET api/v1/agents': () => ({ items: [makeAgent('a1')], next_cursor: null }),
      'GET api/v1/tasks': () => ({ items: [makeTask(4, { status: 'dead_letter', failures: 3 })], next_cursor: null }),
    });
    render(<AgentsTasks />);
    expect(await screen.findByTestId(TEST_IDS.agentsPage.controlsReason)).toHaveTextContent(
      'Requires the Editor role (you are Viewer)'
    );
    for (const id of [
      TEST_IDS.agentsPage.drain('a1'),
      TEST_IDS.agentsPage.remove('a1'),
      TEST_IDS.agentsPage.requeue(4),
      TEST_IDS.agentsPage.cancel(4),
      TEST_IDS.agentsPage.createTask,
    ]) {
      // Disabled with a tooltip that says why (Grafana's Button marks it aria-disabled and drops the click).
      expect(await screen.findByTestId(id)).toHaveAttribute('aria-disabled', 'true');
    }
    // Reading stays open: the attempts of a task.
    expect(screen.getByTestId(TEST_IDS.agentsPage.history(4))).toBeEnabled();
  });
});
