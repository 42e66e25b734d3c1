import React from 'react';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeBackend, setOrgRole } from '../../test/backend';
import { makeActionRecord, makeLineage, makePlan, makeStatus } from '../../test/fixtures';
import { TEST_IDS } from '../../testIds';
import { LineageExplorer } from './LineageExplorer';

describe('Lineage explorer page', () => {
  afterEach(() => setOrgRole('Admin'));

  it('asks the sidecar what was serving at the picked time', async () => {
    const { calls } = fakeBackend({
      'GET api/v1/lineage': (c) => (c.query.at ? makeLineage({ active: 'g1', canary: null }) : makeLineage()),
      'GET api/v1/status': () => makeStatus(),
    });
    render(<LineageExplorer />);
    expect(await screen.findByRole('status')).toHaveTextContent('Now: active g2');
    const input = within(screen.getByTestId(TEST_IDS.pages.lineage)).getAllByRole('textbox')[0]!;
    await userEvent.clear(input);
    await userEvent.type(input, '2026-11-20 08:30:00');
    await userEvent.tab();
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('active g1'));
    const atCall = calls.find((c) => c.path === 'api/v1/lineage' && c.query.at);
    expect(atCall!.query.at).toMatch(/^2026-11-20T08:30:00/);
  });

  it('rolls back to a chosen generation through plan → reason → apply', async () => {
    setOrgRole('Editor');
    const { calls } = fakeBackend({
      'GET api/v1/lineage': () => makeLineage(),
      'GET api/v1/status': () => makeStatus(),
      'GET api/v1/artifacts/calibration': () => ({ items: [], next_cursor: null }),
      'POST api/v1/actions/rollback/plan': () =>
        makePlan({ action: 'rollback', changes: [{ field: 'active', from: 'g2', to: 'g1' }] }),
      'POST api/v1/actions/rollback/apply': () => makeActionRecord({ action: 'rollback', status: 'verified' }),
    });
    render(<LineageExplorer />);
    await userEvent.click(await screen.findByRole('button', { name: 'Generation g1, retired' }));
    await userEvent.click(await screen.findByRole('button', { name: /Roll back to g1/ }));
    await userEvent.type(await screen.findByTestId(TEST_IDS.actionFlow.reason), 'g2 regressed');
    await userEvent.click(screen.getByTestId(TEST_IDS.actionFlow.apply));
    await waitFor(() => expect(calls.some((c) => c.path === 'api/v1/actions/rollback/apply')).toBe(true));
    expect(calls.find((c) => c.path === 'api/v1/actions/rollback/plan')!.body).toEqual({
      params: { target: 'g1' },
    });
  });

  it('does not offer rollback to a Viewer', async () => {
    setOrgRole('Viewer');
    fakeBackend({
      'GET api/v1/lineage': () => makeLineage(),
      'GET api/v1/status': () => makeStatus(),
      'GET api/v1/artifacts/calibration': () => ({ items: [], next_cursor: null }),
    });
    render(<LineageExplorer />);
    await userEvent.click(await screen.findByRole('button', { name: 'Generation g1, retired' }));
    expect(await screen.findByRole('button', { name: /Roll back to g1/ })).toBeDisabled();
    expect(screen.getByText(/Requires the Editor role/)).toBeInTheDocument();
  });
});
