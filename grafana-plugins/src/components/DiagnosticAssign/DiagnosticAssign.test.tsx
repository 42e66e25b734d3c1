import React from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeBackend, setOrgRole } from '../../test/backend';
import { makeDiagnostic } from '../../test/fixtures';
import { DiagnosticAssign } from './DiagnosticAssign';

describe('DiagnosticAssign', () => {
  beforeEach(() => setOrgRole('Editor'));
  afterEach(() => setOrgRole('Admin'));

  it('assigns to the name typed in', async () => {
    const onChanged = jest.fn();
    const { calls } = fakeBackend({
      'POST api/v1/diagnostics/D-1/assign': () => makeDiagnostic('D-1', { assignee: 'carol' }),
    });
    render(<DiagnosticAssign diagnostic={makeDiagnostic('D-1')} write={{ enabled: true }} onChanged={onChanged} />);
    expect(screen.getByRole('button', { name: 'Assign' })).toBeDisabled();
    await userEvent.type(screen.getByRole('textbox', { name: 'Assign to' }), 'carol');
    await userEvent.click(screen.getByRole('button', { name: 'Assign' }));
    await waitFor(() => expect(onChanged).toHaveBeenCalledWith(expect.objectContaining({ assignee: 'carol' })));
    expect(calls[0]!.body).toEqual({ assignee: 'carol' });
  });

  it('assigns to the signed-in user, and unassigns with null', async () => {
    const { calls } = fakeBackend({
      'POST api/v1/diagnostics/D-1/assign': (c) =>
        makeDiagnostic('D-1', { assignee: (c.body as { assignee: string | null }).assignee }),
    });
    render(
      <DiagnosticAssign
        diagnostic={makeDiagnostic('D-1', { assignee: 'alice' })}
        write={{ enabled: true }}
        onChanged={jest.fn()}
      />
    );
    await userEvent.click(screen.getByRole('button', { name: 'Assign to me' }));
    await userEvent.click(screen.getByRole('button', { name: 'Unassign' }));
    await waitFor(() => expect(calls).toHaveLength(2));
    expect(calls.map((c) => c.body)).toEqual([{ assignee: 'tester' }, { assignee: null }]);
  });

  it('is read-only with the reason when the role forbids', () => {
    render(
      <DiagnosticAssign
        diagnostic={makeDiagnostic('D-1', { assignee: 'alice' })}
        write={{ enabled: false, reason: 'Requires the Editor role (you are Viewer)' }}
        onChanged={jest.fn()}
      />
    );
    expect(screen.getByRole('textbox', { name: 'Assign to' })).toBeDisabled();
    for (const name of ['Assign', 'Assign to me', 'Unassign']) {
      expect(screen.getByRole('button', { name })).toHaveAttribute('aria-disabled', 'true');
    }
  });
});
