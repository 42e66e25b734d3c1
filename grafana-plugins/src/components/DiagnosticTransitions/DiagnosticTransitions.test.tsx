import React from 'react';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeBackend, HttpFailure } from '../../test/backend';
import { makeDiagnostic, makeDiagnosticDetail } from '../../test/fixtures';
import { TEST_IDS } from '../../testIds';
import { DiagnosticTransitions } from './DiagnosticTransitions';

describe('DiagnosticTransitions', () => {
  it('offers exactly the moves the sidecar allows', () => {
    render(
      <DiagnosticTransitions
        diagnostic={makeDiagnosticDetail('D-1', {
          status: 'resolved',
          allowed_transitions: ['in_progress', 'closed'],
          can_reopen: true,
        })}
        write={{ enabled: true }}
        onChanged={jest.fn()}
        onConflict={jest.fn()}
      />
    );
    const group = screen.getByRole('group', { name: 'Status transitions' });
    expect(
      within(group)
        .getAllByRole('button')
        .map((b) => b.textContent)
    ).toEqual(['Start progress', 'Close diagnostic', 'Reopen']);
  });

  it('reopens with the note', async () => {
    const onChanged = jest.fn();
    const { calls } = fakeBackend({
      'POST api/v1/diagnostics/D-1/reopen': () => makeDiagnostic('D-1', { status: 'in_progress' }),
    });
    render(
      <DiagnosticTransitions
        diagnostic={makeDiagnosticDetail('D-1', { status: 'closed', allowed_transitions: [], can_reopen: true })}
        write={{ enabled: true }}
        onChanged={onChanged}
        onConflict={jest.fn()}
      />
    );
    await userEvent.click(screen.getByTestId(TEST_IDS.diagnostics.reopen));
    const dialog = screen.getByRole('dialog', { name: 'Reopen D-1' });
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Note' }), 'came back');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Reopen' }));
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
    expect(calls[0]!.body).toEqual({ note: 'came back' });
  });

  it('hands a 409 invalid_transition to the caller and closes the dialog', async () => {
    const onConflict = jest.fn();
    fakeBackend({
      'POST api/v1/diagnostics/D-1/transition': () => {
        throw new HttpFailure(409, {
          error: {
            code: 'invalid_transition',
            message: 'no',
            details: { from: 'closed', to: 'resolved', allowed: [], reopen: true },
          },
        });
      },
    });
    render(
      <DiagnosticTransitions
        diagnostic={makeDiagnosticDetail('D-1')}
        write={{ enabled: true }}
        onChanged={jest.fn()}
        onConflict={onConflict}
      />
    );
    await userEvent.click(screen.getByTestId(TEST_IDS.diagnostics.transition('resolved')));
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Resolve' }));
    await waitFor(() =>
      expect(onConflict).toHaveBeenCalledWith({ from: 'closed', to: 'resolved', allowed: [], reopen: true })
    );
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
  });

  it('keeps other failures in the dialog', async () => {
    fakeBackend({
      'POST api/v1/diagnostics/D-1/transition': () => {
        throw new HttpFailure(500, { error: { code: 'internal', message: 'database is locked' } });
      },
    });
    render(
      <DiagnosticTransitions
        diagnostic={makeDiagnosticDetail('D-1')}
        write={{ enabled: true }}
        onChanged={jest.fn()}
        onConflict={jest.fn()}
      />
    );
    await userEvent.click(screen.getByTestId(TEST_IDS.diagnostics.transition('closed')));
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Close diagnostic' }));
    expect(await within(screen.getByRole('dialog')).findByText('database is locked')).toBeInTheDocument();
  });
});
