import React from 'react';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeBackend, HttpFailure, setOrgRole } from '../../test/backend';
import { FIXED_TS, makeDiagnostic, makeDiagnosticDetail } from '../../test/fixtures';
import { TEST_IDS } from '../../testIds';
import { DiagnosticDrawer } from './DiagnosticDrawer';

const detail = makeDiagnosticDetail('D-1', {
  assignee: 'alice',
  roadmap_url: 'https://tracker.example/OPS-9',
  comments: [
    { id: 1, ts: FIXED_TS, author: 'guardian', body: 'Incident inc-1 was linked here.', kind: 'system' },
    { id: 2, ts: FIXED_TS, author: 'grafana/bob', body: 'Looking at the volume.', kind: 'user' },
  ],
  history: [
    { seq: 1, ts: FIXED_TS, actor: 'grafana/alice', action: 'created', changes: {}, note: null },
    {
      seq: 2,
      ts: FIXED_TS,
      actor: 'grafana/bob',
      action: 'assigned',
      changes: { assignee: { from: null, to: 'alice' } },
      note: 'yours',
    },
  ],
  incidents: [
    {
      incident_id: 'inc-1',
      rule: 'disk_high',
      node: 'node-a',
      severity: 'critical',
      title: 'Disk above 90%',
      linked_at: FIXED_TS,
      resolved_at: null,
      resolved_by: null,
      resolution_note: null,
    },
  ],
  estimate: {
    diagnostic_id: 'D-1',
    basis: 'severity',
    sample_size: 8,
    median_s: 7200,
    p90_s: 14_400,
    expected_resolved_at: null,
    remaining_s: 3600,
  },
});

describe('DiagnosticDrawer', () => {
  afterEach(() => setOrgRole('Admin'));

  it('shows the fields, linked incidents, comments and history', async () => {
    setOrgRole('Viewer');
    fakeBackend({ 'GET api/v1/diagnostics/D-1': () => detail });
    render(<DiagnosticDrawer diagnosticId="D-1" onClose={jest.fn()} />);
    const drawer = await screen.findByTestId(TEST_IDS.diagnostics.drawer);
    expect(await within(drawer).findByText('Looking at the volume.')).toBeInTheDocument();
    expect(within(drawer).getByTestId(TEST_IDS.diagnostics.status)).toHaveTextContent('Open');
    expect(within(drawer).getByRole('textbox', { name: 'Assign to' })).toHaveValue('alice');
    expect(within(drawer).getByRole('link', { name: /OPS-9/ })).toHaveAttribute(
      'href',
      'https://tracker.example/OPS-9'
    );
    expect(within(drawer).getByText(/1h 0m left \(median 2h 0m, p90 4h 0m, 8 similar\)/)).toBeInTheDocument();
    expect(within(screen.getByTestId(TEST_IDS.diagnostics.incidents)).getByText('Disk above 90%')).toBeInTheDocument();
    const history = screen.getByRole('list', { name: 'History' });
    expect(within(history).getAllByRole('listitem')[0]).toHaveTextContent('assigned');
    expect(within(history).getByText('assignee: ∅ → alice')).toBeInTheDocument();
    expect(within(history).getByText('“yours”')).toBeInTheDocument();
  });

  it('keeps a Viewer read-only: every write is disabled with the reason', async () => {
    setOrgRole('Viewer');
    fakeBackend({ 'GET api/v1/diagnostics/D-1': () => detail });
    render(<DiagnosticDrawer diagnosticId="D-1" onClose={jest.fn()} />);
    await screen.findByText('Looking at the volume.');
    for (const id of [
      TEST_IDS.diagnostics.transition('in_progress'),
      TEST_IDS.diagnostics.transition('resolved'),
      TEST_IDS.diagnostics.transition('closed'),
      TEST_IDS.diagnostics.edit,
    ]) {
      expect(screen.getByTestId(id)).toHaveAttribute('aria-disabled', 'true');
    }
    expect(screen.getByRole('button', { name: 'Add comment' })).toHaveAttribute('aria-disabled', 'true');
    expect(screen.getByRole('textbox', { name: 'Comment' })).toBeDisabled();
    await userEvent.hover(screen.getByTestId(TEST_IDS.diagnostics.edit));
    expect(await screen.findByText('Requires the Editor role (you are Viewer)')).toBeInTheDocument();
  });

  it('moves the status with a note and reloads', async () => {
    setOrgRole('Editor');
    let current = detail;
    const onChanged = jest.fn();
    const { calls } = fakeBackend({
      'GET api/v1/diagnostics/D-1': () => current,
      'POST api/v1/diagnostics/D-1/transition': () => {
        current = { ...detail, status: 'in_progress', allowed_transitions: ['open', 'resolved', 'closed'] };
        return makeDiagnostic('D-1', { status: 'in_progress' });
      },
    });
    render(<DiagnosticDrawer diagnosticId="D-1" onClose={jest.fn()} onChanged={onChanged} />);
    await userEvent.click(await screen.findByTestId(TEST_IDS.diagnostics.transition('in_progress')));
    const dialog = screen.getByRole('dialog', { name: 'Move D-1 from Open to In progress' });
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Note' }), 'on it');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Start progress' }));
    await waitFor(() => expect(screen.getByTestId(TEST_IDS.diagnostics.status)).toHaveTextContent('In progress'));
    expect(screen.getByTestId(TEST_IDS.diagnostics.transition('open'))).toBeInTheDocument();
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ to: 'in_progress', note: 'on it' });
    expect(onChanged).toHaveBeenCalledWith(expect.objectContaining({ status: 'in_progress' }));
  });

  it('shows what is allowed when the sidecar refuses a move with 409', async () => {
    setOrgRole('Editor');
    let current = detail;
    fakeBackend({
      'GET api/v1/diagnostics/D-1': () => current,
      'POST api/v1/diagnostics/D-1/transition': () => {
        // Someone closed it meanwhile.
        current = { ...detail, status: 'closed', allowed_transitions: [], can_reopen: true };
        throw new HttpFailure(409, {
          error: {
            code: 'invalid_transition',
            message: 'cannot move D-1 from closed to resolved',
            details: { from: 'closed', to: 'resolved', allowed: [], reopen: true },
          },
        });
      },
    });
    render(<DiagnosticDrawer diagnosticId="D-1" onClose={jest.fn()} />);
    await userEvent.click(await screen.findByTestId(TEST_IDS.diagnostics.transition('resolved')));
    await userEvent.click(
      within(screen.getByRole('dialog', { name: /^Move D-1/ })).getByRole('button', { name: 'Resolve' })
    );
    const conflict = await screen.findByTestId(TEST_IDS.diagnostics.conflict);
    expect(conflict).toHaveTextContent(
      'Closed → Resolved is not allowed. Allowed from Closed: none. It can be reopened.'
    );
    expect(await screen.findByTestId(TEST_IDS.diagnostics.reopen)).toBeInTheDocument();
    expect(screen.queryByTestId(TEST_IDS.diagnostics.transition('resolved'))).not.toBeInTheDocument();
  });

  it('adds a comment and shows it after the reload', async () => {
    setOrgRole('Editor');
    let current = detail;
    const { calls } = fakeBackend({
      'GET api/v1/diagnostics/D-1': () => current,
      'POST api/v1/diagnostics/D-1/comments': (c) => {
        const comment = {
          id: 3,
          ts: FIXED_TS,
          author: 'grafana/editor',
          body: (c.body as { body: string }).body,
          kind: 'user' as const,
        };
        current = { ...detail, comments: [...detail.comments, comment] };
        return comment;
      },
    });
    render(<DiagnosticDrawer diagnosticId="D-1" onClose={jest.fn()} />);
    await userEvent.type(await screen.findByRole('textbox', { name: 'Comment' }), 'Volume resized.');
    await userEvent.click(screen.getByRole('button', { name: 'Add comment' }));
    expect(await screen.findByText('Volume resized.')).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: 'Comment' })).toHaveValue('');
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ body: 'Volume resized.' });
  });

  it('edits through the form and reloads', async () => {
    setOrgRole('Editor');
    let current = detail;
    const { calls } = fakeBackend({
      'GET api/v1/diagnostics/D-1': () => current,
      'PATCH api/v1/diagnostics/D-1': () => {
        current = { ...detail, severity: 'critical' };
        return makeDiagnostic('D-1', { severity: 'critical' });
      },
    });
    render(<DiagnosticDrawer diagnosticId="D-1" onClose={jest.fn()} />);
    await userEvent.click(await screen.findByTestId(TEST_IDS.diagnostics.edit));
    const dialog = screen.getByRole('dialog', { name: 'Edit D-1' });
    await userEvent.click(within(dialog).getByRole('radio', { name: 'Critical' }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Edit D-1' })).not.toBeInTheDocument());
    expect(calls.find((c) => c.method === 'PATCH')!.body).toEqual({ severity: 'critical' });
    await waitFor(() => expect(calls.filter((c) => c.method === 'GET')).toHaveLength(2));
  });

  it('shows an unknown diagnostic as an error', async () => {
    fakeBackend({
      'GET api/v1/diagnostics/D-404': () => {
        throw new HttpFailure(404, { error: { code: 'not_found', message: 'diagnostic D-404 not found' } });
      },
    });
    render(<DiagnosticDrawer diagnosticId="D-404" onClose={jest.fn()} />);
    expect(await screen.findByText('diagnostic D-404 not found')).toBeInTheDocument();
  });
});
