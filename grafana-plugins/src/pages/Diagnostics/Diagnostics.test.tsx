import React from 'react';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeBackend, setOrgRole, type RecordedCall } from '../../test/backend';
import { makeAnalytics, makeDiagnostic, makeDiagnosticDetail } from '../../test/fixtures';
import { renderInApp } from '../../test/router';
import { TEST_IDS } from '../../testIds';
import { Diagnostics } from './Diagnostics';

const renderPage = (url = '/a/lookout-ops-app/diagnostics'): ReturnType<typeof renderInApp> =>
  renderInApp(<Diagnostics />, { url, route: 'diagnostics/*' });

const listCalls = (calls: RecordedCall[]): RecordedCall[] =>
  calls.filter((c) => c.method === 'GET' && c.path === 'api/v1/diagnostics');

describe('Diagnostics page', () => {
  afterEach(() => setOrgRole('Admin'));

  it('lists active diagnostics first, with the analytics strip', async () => {
    setOrgRole('Viewer');
    const { calls } = fakeBackend({
      'GET api/v1/diagnostics': () => ({ items: [makeDiagnostic('D-1'), makeDiagnostic('D-2')], next_cursor: null }),
      'GET api/v1/diagnostics/analytics': () => makeAnalytics(),
    });
    renderPage();
    const table = await screen.findByRole('table', { name: 'Diagnostics' });
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(screen.getByRole('region', { name: 'Diagnostics analytics' })).toHaveTextContent('2 warning');
    expect(listCalls(calls)[0]!.query).toEqual({
      status: 'open,in_progress',
      sort: 'created_at',
      order: 'desc',
      limit: '50',
    });
    expect(screen.queryByTestId(TEST_IDS.diagnostics.loadMore)).not.toBeInTheDocument();
  });

  it('sends the filters, the debounced search and the sort to the sidecar', async () => {
    const { calls } = fakeBackend({
      'GET api/v1/diagnostics': () => ({ items: [], next_cursor: null }),
      'GET api/v1/diagnostics/analytics': () => makeAnalytics(),
    });
    renderPage();
    expect(await screen.findByText('No active diagnostics')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('radio', { name: 'Resolved' }));
    await userEvent.click(screen.getByRole('radio', { name: 'Critical' }));
    await userEvent.click(screen.getByRole('radio', { name: 'Severity' }));
    await userEvent.type(screen.getByRole('textbox', { name: 'Tags' }), 'db,disk');
    await userEvent.type(screen.getByRole('textbox', { name: 'Search diagnostics' }), 'latency');
    await waitFor(() => expect(listCalls(calls).at(-1)!.query.q).toBe('latency'));
    expect(listCalls(calls).at(-1)!.query).toEqual({
      status: 'resolved',
      severity: 'critical',
      tag: 'db,disk',
      q: 'latency',
      sort: 'severity',
      order: 'desc',
      limit: '50',
    });
    // One request per committed change, not one per key typed.
    expect(listCalls(calls).filter((c) => c.query.q !== undefined && c.query.q !== 'latency')).toHaveLength(0);
    expect(await screen.findByText('No diagnostics match these filters')).toBeInTheDocument();
  });

  it('loads the next page with the cursor and appends it', async () => {
    const { calls } = fakeBackend({
      'GET api/v1/diagnostics': (c) =>
        c.query.cursor === 'c2'
          ? { items: [makeDiagnostic('D-3')], next_cursor: null }
          : { items: [makeDiagnostic('D-1'), makeDiagnostic('D-2')], next_cursor: 'c2' },
      'GET api/v1/diagnostics/analytics': () => makeAnalytics(),
    });
    renderPage();
    await userEvent.click(await screen.findByTestId(TEST_IDS.diagnostics.loadMore));
    expect(await screen.findByTestId(TEST_IDS.diagnostics.row('D-3'))).toBeInTheDocument();
    expect(screen.getByTestId(TEST_IDS.diagnostics.row('D-1'))).toBeInTheDocument();
    expect(screen.queryByTestId(TEST_IDS.diagnostics.loadMore)).not.toBeInTheDocument();
    expect(listCalls(calls)[1]!.query).toMatchObject({ cursor: 'c2', status: 'open,in_progress' });
  });

  it('opens the detail from the list, with the estimate in the strip, and closes it', async () => {
    const estimate = {
      diagnostic_id: 'D-1',
      basis: 'severity' as const,
      sample_size: 4,
      median_s: 3600,
      p90_s: 7200,
      expected_resolved_at: null,
      remaining_s: 1800,
    };
    const { calls } = fakeBackend({
      'GET api/v1/diagnostics': () => ({ items: [makeDiagnostic('D-1')], next_cursor: null }),
      'GET api/v1/diagnostics/D-1': () => makeDiagnosticDetail('D-1'),
      'GET api/v1/diagnostics/analytics': (c) => makeAnalytics({ estimate: c.query.diagnostic ? estimate : null }),
    });
    const { location } = renderPage();
    await userEvent.click(await screen.findByRole('link', { name: 'Disk filling up (D-1)' }));
    expect(location()).toBe('/a/lookout-ops-app/diagnostics/D-1');
    const drawer = await screen.findByTestId(TEST_IDS.diagnostics.drawer);
    expect(await within(drawer).findByText('The data volume grows 2 GB a day.')).toBeInTheDocument();
    expect(await screen.findByTestId(TEST_IDS.diagnostics.estimate)).toHaveTextContent('30m 0s left');
    expect(calls.some((c) => c.path === 'api/v1/diagnostics/analytics' && c.query.diagnostic === 'D-1')).toBe(true);
    await userEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(location()).toBe('/a/lookout-ops-app/diagnostics');
    await waitFor(() => expect(screen.queryByTestId(TEST_IDS.diagnostics.drawer)).not.toBeInTheDocument());
  });

  it('lets an Editor create a diagnostic and opens it', async () => {
    setOrgRole('Editor');
    const created = makeDiagnostic('D-5', { title: 'Queue backlog', severity: 'critical' });
    let items = [makeDiagnostic('D-1')];
    const { calls } = fakeBackend({
      'GET api/v1/diagnostics': () => ({ items, next_cursor: null }),
      'GET api/v1/diagnostics/analytics': () => makeAnalytics(),
      'POST api/v1/diagnostics': () => {
        items = [created, ...items];
        return created;
      },
      'GET api/v1/diagnostics/D-5': () => makeDiagnosticDetail('D-5', { title: 'Queue backlog' }),
    });
    const { location } = renderPage();
    await userEvent.click(await screen.findByRole('button', { name: 'Create diagnostic' }));
    const dialog = screen.getByRole('dialog', { name: 'Create diagnostic' });
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Title *' }), 'Queue backlog');
    await userEvent.click(within(dialog).getByRole('radio', { name: 'Critical' }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create' }));
    expect(await screen.findByTestId(TEST_IDS.diagnostics.row('D-5'))).toBeInTheDocument();
    expect(location()).toBe('/a/lookout-ops-app/diagnostics/D-5');
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ title: 'Queue backlog', severity: 'critical' });
  });

  it('shows a Viewer the create button disabled with the reason', async () => {
    setOrgRole('Viewer');
    fakeBackend({
      'GET api/v1/diagnostics': () => ({ items: [], next_cursor: null }),
      'GET api/v1/diagnostics/analytics': () => makeAnalytics(),
    });
    renderPage();
    const create = await screen.findByRole('button', { name: 'Create diagnostic' });
    expect(create).toHaveAttribute('aria-disabled', 'true');
    await userEvent.click(create);
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    await userEvent.hover(create);
    expect(await screen.findByText('Requires the Editor role (you are Viewer)')).toBeInTheDocument();
  });

  it('shows a list failure with Grafana’s error view', async () => {
    fakeBackend({ 'GET api/v1/diagnostics/analytics': () => makeAnalytics() });
    renderPage();
    expect(await screen.findByText('Cannot load diagnostics')).toBeInTheDocument();
  });
});
