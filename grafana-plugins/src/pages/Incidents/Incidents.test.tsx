import React from 'react';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeBackend, setOrgRole } from '../../test/backend';
import { FIXED_TS, makeEvent, makeIncident } from '../../test/fixtures';
import { TEST_IDS } from '../../testIds';
import { renderInApp } from '../../test/router';
import { Incidents } from './Incidents';

const renderIncidents = (): ReturnType<typeof renderInApp> =>
  renderInApp(<Incidents />, { url: '/a/lookout-ops-app/incidents', route: 'incidents' });

describe('Incidents page', () => {
  afterEach(() => setOrgRole('Admin'));

  it('acknowledges an incident with a note, then reloads', async () => {
    setOrgRole('Editor');
    let incident = makeIncident('inc-1', { title: 'Drift high' });
    const { calls } = fakeBackend({
      'GET api/v1/incidents': () => ({ items: [incident], next_cursor: null }),
      'POST api/v1/incidents/inc-1/ack': () => {
        incident = makeIncident('inc-1', {
          title: 'Drift high',
          status: 'acknowledged',
          acknowledged_at: FIXED_TS,
          acknowledged_by: 'grafana/editor@example.org',
          ack_note: 'looking',
        });
        return incident;
      },
    });
    renderIncidents();
    const table = await screen.findByRole('table', { name: 'Incidents' });
    await userEvent.click(within(table).getByRole('button', { name: 'Acknowledge' }));
    await userEvent.type(screen.getByRole('textbox', { name: 'Note' }), 'looking');
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Acknowledge' }));
    await waitFor(() => expect(within(table).getByText('acknowledged')).toBeInTheDocument());
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ note: 'looking' });
    expect(within(table).getByText(/Acknowledged by grafana\/editor@example.org/)).toBeInTheDocument();
    expect(within(table).getByText('“looking”')).toBeInTheDocument();
  });

  it('shows who acknowledged and who resolved an incident, with their notes', async () => {
    setOrgRole('Viewer');
    fakeBackend({
      'GET api/v1/incidents': () => ({
        items: [
          makeIncident('inc-6', {
            status: 'resolved',
            acknowledged_at: FIXED_TS,
            acknowledged_by: 'grafana/alice',
            ack_note: 'on it',
            resolved_at: FIXED_TS,
            resolved_by: 'grafana/bob',
            resolve_note: 'rolled back to g2',
          }),
        ],
        next_cursor: null,
      }),
    });
    renderIncidents();
    const table = await screen.findByRole('table', { name: 'Incidents' });
    expect(within(table).getByText(/Acknowledged by grafana\/alice/)).toBeInTheDocument();
    expect(within(table).getByText('“on it”')).toBeInTheDocument();
    expect(within(table).getByText(/Resolved by grafana\/bob/)).toBeInTheDocument();
    expect(within(table).getByText('“rolled back to g2”')).toBeInTheDocument();
  });

  it('requires a note to resolve', async () => {
    setOrgRole('Editor');
    const { calls } = fakeBackend({
      'GET api/v1/incidents': () => ({ items: [makeIncident('inc-2')], next_cursor: null }),
      'POST api/v1/incidents/inc-2/resolve': () => makeIncident('inc-2', { status: 'resolved' }),
    });
    renderIncidents();
    await userEvent.click(await screen.findByRole('button', { name: 'Resolve' }));
    const dialog = screen.getByRole('dialog');
    expect(within(dialog).getByRole('button', { name: 'Resolve' })).toBeDisabled();
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Note' }), 'rolled back');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Resolve' }));
    await waitFor(() => expect(calls.some((c) => c.path === 'api/v1/incidents/inc-2/resolve')).toBe(true));
  });

  it('filters by status and disables transitions for a Viewer', async () => {
    setOrgRole('Viewer');
    const { calls } = fakeBackend({
      'GET api/v1/incidents': () => ({ items: [makeIncident('inc-3')], next_cursor: null }),
    });
    renderIncidents();
    expect(await screen.findByRole('button', { name: 'Acknowledge' })).toBeDisabled();
    await userEvent.click(screen.getByRole('radio', { name: 'Resolved' }));
    await waitFor(() => expect(calls[calls.length - 1]!.query.status).toBe('resolved'));
  });

  it('links an incident to the diagnostic that tracks it', async () => {
    setOrgRole('Viewer');
    fakeBackend({
      'GET api/v1/incidents': () => ({
        items: [makeIncident('inc-4', { diagnostic_id: 'D-12' }), makeIncident('inc-5', { diagnostic_id: null })],
        next_cursor: null,
      }),
    });
    const { location } = renderIncidents();
    const table = await screen.findByRole('table', { name: 'Incidents' });
    expect(within(table).getAllByRole('link')).toHaveLength(1);
    await userEvent.click(within(table).getByRole('link', { name: 'D-12' }));
    expect(location()).toBe('/a/lookout-ops-app/diagnostics/D-12');
  });

  it("lists shadow rules' decisions apart: what they saw and would have run, with no incident of their own", async () => {
    setOrgRole('Viewer');
    fakeBackend({
      'GET api/v1/incidents': () => ({ items: [], next_cursor: null }),
      'GET api/v1/feeds/guardian': (c) => {
        expect(c.query.kind).toBe('rule.fired');
        return {
          items: [
            makeEvent({
              id: 'S1',
              source: 'guardian',
              kind: 'rule.fired',
              subject: 'correlation_spike',
              data: {
                rule: 'correlation_spike',
                shadow: true,
                title: 'Symbols moving together',
                observed: { metric: 'symbol_correlation', value: 0.72 },
                would_run: [{ do: 'notify' }],
              },
            }),
            makeEvent({
              id: 'L1',
              source: 'guardian',
              kind: 'rule.fired',
              subject: 'drift_high',
              data: { rule: 'drift_high', shadow: false, incident_id: 'inc-9' },
            }),
          ],
          next_cursor: null,
        };
      },
    });
    renderIncidents();
    const section = await screen.findByTestId(TEST_IDS.shadow.decisions);
    const row = await within(section).findByText('Symbols moving together');
    expect(within(row.closest('tr')!).getByText('0.720')).toBeInTheDocument();
    expect(within(row.closest('tr')!).getByText('notify')).toBeInTheDocument();
    expect(within(section).queryByText('drift_high')).not.toBeInTheDocument();
  });
});
