import React from 'react';
import { render, screen, within } from '@testing-library/react';
import { fakeBackend, HttpFailure } from '../../test/backend';
import { makeAgent, makeTask } from '../../test/fixtures';
import { AgentsTasks } from './AgentsTasks';

describe('Agents and tasks page', () => {
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
});
