import React from 'react';
import { render, screen, within } from '@testing-library/react';
import { makeAnalytics } from '../../test/fixtures';
import { TEST_IDS } from '../../testIds';
import { DiagnosticsAnalytics } from './DiagnosticsAnalytics';

const estimate = {
  diagnostic_id: 'D-3',
  basis: 'severity' as const,
  sample_size: 12,
  median_s: 7200,
  p90_s: 36_000,
  expected_resolved_at: '2026-11-21T14:00:00.000Z',
  remaining_s: 5400,
};

describe('DiagnosticsAnalytics', () => {
  it('shows open by severity, overdue and time to resolve per severity', () => {
    render(<DiagnosticsAnalytics analytics={makeAnalytics()} />);
    const strip = screen.getByRole('region', { name: 'Diagnostics analytics' });
    expect(within(strip).getByText('1 critical')).toBeInTheDocument();
    expect(within(strip).getByText('2 warning')).toBeInTheDocument();
    expect(within(strip).getByText('Overdue').nextSibling).toHaveTextContent('1');
    const ttr = within(strip).getByRole('table', { name: 'Time to resolve' });
    expect(
      within(ttr)
        .getAllByRole('cell')
        .map((c) => c.textContent)
    ).toEqual(['—', '—', '0', '2h 0m', '10h 0m', '12', '—', '—', '0']);
    expect(screen.queryByTestId(TEST_IDS.diagnostics.estimate)).not.toBeInTheDocument();
  });

  it('shows the estimate for the selected diagnostic', () => {
    render(<DiagnosticsAnalytics analytics={makeAnalytics({ estimate })} selectedId="D-3" />);
    const box = screen.getByTestId(TEST_IDS.diagnostics.estimate);
    expect(box).toHaveTextContent('Estimate for D-3');
    expect(box).toHaveTextContent('1h 30m left');
    expect(box).toHaveTextContent('median 2h 0m, p90 10h 0m from 12 resolved (same severity)');
  });

  it('says when there is too little history to estimate', () => {
    const none = {
      ...estimate,
      basis: 'none' as const,
      sample_size: 0,
      median_s: null,
      p90_s: null,
      remaining_s: null,
    };
    render(<DiagnosticsAnalytics analytics={makeAnalytics({ estimate: none })} selectedId="D-3" />);
    expect(screen.getByTestId(TEST_IDS.diagnostics.estimate)).toHaveTextContent(
      'Not enough resolved diagnostics to estimate'
    );
  });
});
