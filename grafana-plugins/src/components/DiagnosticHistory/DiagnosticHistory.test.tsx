import React from 'react';
import { render, screen, within } from '@testing-library/react';
import { FIXED_TS } from '../../test/fixtures';
import { DiagnosticHistory } from './DiagnosticHistory';

describe('DiagnosticHistory', () => {
  it('shows who changed what and when, newest first', () => {
    render(
      <DiagnosticHistory
        history={[
          { seq: 1, ts: FIXED_TS, actor: 'grafana/alice', action: 'created', changes: {}, note: null },
          {
            seq: 2,
            ts: '2026-11-21T13:30:00.000Z',
            actor: 'grafana/bob',
            action: 'status_changed',
            changes: { status: { from: 'open', to: 'in_progress' }, tags: { from: [], to: ['db', 'disk'] } },
            note: 'taking it',
          },
        ]}
      />
    );
    const [newest, oldest] = within(screen.getByRole('list', { name: 'History' })).getAllByRole('listitem');
    expect(newest).toHaveTextContent('2026-11-21 13:30:00 · grafana/bob');
    expect(newest).toHaveTextContent('status changed');
    expect(within(newest!).getByText('status: open → in_progress')).toBeInTheDocument();
    expect(within(newest!).getByText('tags: ∅ → db, disk')).toBeInTheDocument();
    expect(within(newest!).getByText('“taking it”')).toBeInTheDocument();
    expect(oldest).toHaveTextContent('created');
  });
});
