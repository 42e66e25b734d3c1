import React from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeBackend, setOrgRole } from '../../test/backend';
import type { AuditEntry } from '../../api';
import { makeAuditEntry } from '../../test/fixtures';
import { Audit } from './Audit';

const entry = (id: string, user: string): AuditEntry =>
  makeAuditEntry(id, { actor: `grafana/${user}`, grafana_user: user, result: 'applied' });

describe('Audit page', () => {
  afterEach(() => setOrgRole('Admin'));

  it('is for admins only and does not call the sidecar for others', async () => {
    setOrgRole('Editor');
    const { calls } = fakeBackend({});
    render(<Audit />);
    expect(screen.getByText('Admins only')).toBeInTheDocument();
    expect(calls).toHaveLength(0);
  });

  it('lists entries with the Grafana user and pages with the cursor', async () => {
    setOrgRole('Admin');
    const { calls } = fakeBackend({
      'GET api/v1/audit': (c) =>
        c.query.cursor
          ? { items: [entry('2', 'bob')], next_cursor: null }
          : { items: [entry('1', 'alice')], next_cursor: 'n1' },
    });
    render(<Audit />);
    expect(await screen.findByText('alice')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Load older entries' }));
    expect(await screen.findByText('bob')).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Load older entries' })).not.toBeInTheDocument());
    expect(calls[1]!.query.cursor).toBe('n1');
  });
});
