import React from 'react';
import { render, screen, within } from '@testing-library/react';
import { fakeBackend, HttpFailure } from '../../test/backend';
import { AgentsTasks } from './AgentsTasks';

describe('Agents and tasks page', () => {
  it('lists agents and tasks', async () => {
    fakeBackend({
      'GET api/v1/agents': () => ({
        items: [{ id: 'a1', name: 'refactor-bot', status: 'active', capabilities: ['refactor', 'test'] }],
      }),
      'GET api/v1/tasks': () => ({
        items: [{ id: 't1', title: 'Rewrite parser', status: 'assigned', priority: 2, agent_id: 'a1' }],
      }),
    });
    render(<AgentsTasks />);
    const agents = screen.getByRole('region', { name: 'Agents' });
    expect(await within(agents).findByText('refactor-bot')).toBeInTheDocument();
    expect(within(agents).getByText('refactor, test')).toBeInTheDocument();
    expect(
      await within(screen.getByRole('region', { name: 'Tasks' })).findByText('Rewrite parser')
    ).toBeInTheDocument();
  });

  it('shows empty and error states independently', async () => {
    fakeBackend({
      'GET api/v1/agents': () => ({ items: [] }),
      'GET api/v1/tasks': () => {
        throw new HttpFailure(500, { error: { code: 'internal', message: 'tasks table locked' } });
      },
    });
    render(<AgentsTasks />);
    expect(await screen.findByText('No agents registered.')).toBeInTheDocument();
    expect(await screen.findByText('tasks table locked')).toBeInTheDocument();
  });
});
