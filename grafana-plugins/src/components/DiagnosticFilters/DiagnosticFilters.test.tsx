import React, { useState } from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { DEFAULT_FILTERS, type DiagnosticFilterState } from '../../data/diagnostics';
import { DiagnosticFilters } from './DiagnosticFilters';

/** Holds the filter state as the page does, and records every committed state. */
function Harness({ seen, debounceMs }: { seen: DiagnosticFilterState[]; debounceMs?: number }): React.JSX.Element {
  const [value, setValue] = useState(DEFAULT_FILTERS);
  return (
    <DiagnosticFilters
      value={value}
      debounceMs={debounceMs}
      onChange={(v) => {
        seen.push(v);
        setValue(v);
      }}
    />
  );
}

describe('DiagnosticFilters', () => {
  it('commits a search once typing pauses, not on every key', async () => {
    const seen: DiagnosticFilterState[] = [];
    render(<Harness seen={seen} debounceMs={150} />);
    await userEvent.type(screen.getByRole('textbox', { name: 'Search diagnostics' }), 'disk full');
    await waitFor(() => expect(seen).toHaveLength(1));
    expect(seen[0]).toEqual({ ...DEFAULT_FILTERS, q: 'disk full' });
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toHaveLength(1);
  });

  it('applies status, severity, sort and order at once', async () => {
    const seen: DiagnosticFilterState[] = [];
    render(<Harness seen={seen} />);
    await userEvent.click(screen.getByRole('radio', { name: 'In progress' }));
    await userEvent.click(screen.getByRole('radio', { name: 'Critical' }));
    await userEvent.click(screen.getByRole('radio', { name: 'Due' }));
    await userEvent.click(screen.getByRole('radio', { name: 'Ascending' }));
    expect(seen[seen.length - 1]).toEqual({
      ...DEFAULT_FILTERS,
      status: 'in_progress',
      severity: 'critical',
      sort: 'due_at',
      order: 'asc',
    });
  });

  it('takes assignee, tags, unassigned and overdue, and resets them all', async () => {
    const seen: DiagnosticFilterState[] = [];
    render(<Harness seen={seen} debounceMs={50} />);
    await userEvent.type(screen.getByRole('textbox', { name: 'Assignee' }), 'alice');
    await userEvent.type(screen.getByRole('textbox', { name: 'Tags' }), 'db, disk');
    await userEvent.click(screen.getByRole('checkbox', { name: 'Overdue' }));
    await userEvent.click(screen.getByRole('checkbox', { name: 'Unassigned' }));
    await waitFor(() =>
      expect(seen[seen.length - 1]).toEqual({
        ...DEFAULT_FILTERS,
        assignee: 'alice',
        tag: 'db, disk',
        overdue: true,
        unassigned: true,
      })
    );
    await userEvent.click(screen.getByRole('button', { name: 'Reset' }));
    expect(seen[seen.length - 1]).toEqual(DEFAULT_FILTERS);
    expect(screen.getByRole('textbox', { name: 'Assignee' })).toHaveValue('');
  });
});
