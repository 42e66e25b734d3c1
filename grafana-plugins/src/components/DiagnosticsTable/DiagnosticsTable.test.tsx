import React from 'react';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makeDiagnostic } from '../../test/fixtures';
import { renderInApp } from '../../test/router';
import { TEST_IDS } from '../../testIds';
import { DiagnosticsTable } from './DiagnosticsTable';

describe('DiagnosticsTable', () => {
  it('shows each diagnostic with its status, assignee, due date and tags', () => {
    renderInApp(
      <DiagnosticsTable
        items={[
          makeDiagnostic('D-1', { assignee: 'alice', due_at: '2026-11-01T00:00:00.000Z', overdue: true }),
          makeDiagnostic('D-2', { status: 'in_progress', tags: ['db', 'latency'], severity: 'critical' }),
        ]}
      />,
      { url: '/a/lookout-ops-app/diagnostics', route: 'diagnostics/*' }
    );
    const first = screen.getByTestId(TEST_IDS.diagnostics.row('D-1'));
    expect(within(first).getByText('alice')).toBeInTheDocument();
    expect(within(first).getByText('2026-11-01')).toBeInTheDocument();
    expect(within(first).getByText('overdue')).toBeInTheDocument();
    const second = screen.getByTestId(TEST_IDS.diagnostics.row('D-2'));
    expect(within(second).getByText('In progress')).toBeInTheDocument();
    expect(within(second).getByText('unassigned')).toBeInTheDocument();
    expect(within(second).getByText('latency')).toBeInTheDocument();
    expect(within(second).getByText('critical')).toBeInTheDocument();
  });

  it('links the title to the detail and highlights the selected row', async () => {
    const { location } = renderInApp(
      <DiagnosticsTable items={[makeDiagnostic('D-7'), makeDiagnostic('D-8')]} selectedId="D-8" />,
      { url: '/a/lookout-ops-app/diagnostics', route: 'diagnostics/*' }
    );
    expect(screen.getByTestId(TEST_IDS.diagnostics.row('D-8'))).toHaveAttribute('aria-selected', 'true');
    await userEvent.click(screen.getByRole('link', { name: 'Disk filling up (D-7)' }));
    expect(location()).toBe('/a/lookout-ops-app/diagnostics/D-7');
  });
});
