import React from 'react';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeBackend, HttpFailure } from '../../test/backend';
import { makeDiagnostic } from '../../test/fixtures';
import { DiagnosticFormModal } from './DiagnosticFormModal';

/** The form field (label, input and messages) an input belongs to. */
function fieldOf(input: HTMLElement): HTMLElement {
  let el: HTMLElement | null = input;
  while (el && !el.querySelector('label')) {
    el = el.parentElement;
  }
  return el!;
}

describe('DiagnosticFormModal', () => {
  it('creates a diagnostic with only the fields that were filled in', async () => {
    const { calls } = fakeBackend({ 'POST api/v1/diagnostics': () => makeDiagnostic('D-9', { title: 'Disk full' }) });
    const onSaved = jest.fn();
    const onDismiss = jest.fn();
    render(<DiagnosticFormModal onSaved={onSaved} onDismiss={onDismiss} />);
    await userEvent.type(screen.getByRole('textbox', { name: 'Title *' }), 'Disk full');
    await userEvent.click(screen.getByRole('radio', { name: 'Critical' }));
    await userEvent.type(screen.getByRole('textbox', { name: /^Tags/ }), 'disk{enter}db{enter}');
    await userEvent.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalledWith(expect.objectContaining({ id: 'D-9' })));
    expect(onDismiss).toHaveBeenCalled();
    expect(calls[0]!.body).toEqual({ title: 'Disk full', severity: 'critical', tags: ['disk', 'db'] });
  });

  it('refuses an empty title without calling the sidecar', async () => {
    const { calls } = fakeBackend({});
    render(<DiagnosticFormModal onSaved={jest.fn()} onDismiss={jest.fn()} />);
    await userEvent.click(screen.getByRole('button', { name: 'Create' }));
    expect(screen.getByText('A title is required')).toBeInTheDocument();
    expect(calls).toHaveLength(0);
  });

  it('shows the 400 field errors next to their fields and stays open', async () => {
    fakeBackend({
      'POST api/v1/diagnostics': () => {
        throw new HttpFailure(400, {
          error: {
            code: 'invalid_request',
            message: 'body.due_at: Invalid input (and 1 more)',
            details: [
              { path: 'body.due_at', message: 'Invalid input', code: 'invalid_union' },
              { path: 'body.roadmap_url', message: 'an http:// or https:// URL', code: 'invalid_format' },
            ],
          },
        });
      },
    });
    const onDismiss = jest.fn();
    render(<DiagnosticFormModal onSaved={jest.fn()} onDismiss={onDismiss} />);
    await userEvent.type(screen.getByRole('textbox', { name: 'Title *' }), 'Latency');
    await userEvent.type(screen.getByRole('textbox', { name: /Due/ }), 'next week');
    await userEvent.type(screen.getByRole('textbox', { name: 'Roadmap link' }), 'jira/OPS-1');
    await userEvent.click(screen.getByRole('button', { name: 'Create' }));
    await screen.findByText('an http:// or https:// URL');
    const roadmap = screen.getByRole('textbox', { name: 'Roadmap link' });
    expect(within(fieldOf(roadmap)).getByText('an http:// or https:// URL')).toBeInTheDocument();
    expect(
      within(fieldOf(screen.getByRole('textbox', { name: /^Due/ }))).getByText('Invalid input')
    ).toBeInTheDocument();
    expect(within(fieldOf(roadmap)).queryByText('Invalid input')).not.toBeInTheDocument();
    expect(onDismiss).not.toHaveBeenCalled();
  });

  it('edits with a PATCH of the changed fields, clearing emptied ones with null', async () => {
    const d = makeDiagnostic('D-4', { assignee: 'alice', component: 'storage' });
    const { calls } = fakeBackend({
      'PATCH api/v1/diagnostics/D-4': () => ({ ...d, title: 'Disk full', assignee: null }),
    });
    const onSaved = jest.fn();
    render(<DiagnosticFormModal diagnostic={d} onSaved={onSaved} onDismiss={jest.fn()} />);
    expect(screen.getByRole('dialog', { name: 'Edit D-4' })).toBeInTheDocument();
    const title = screen.getByRole('textbox', { name: 'Title *' });
    await userEvent.clear(title);
    await userEvent.type(title, 'Disk full');
    await userEvent.clear(screen.getByRole('textbox', { name: 'Assignee' }));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(calls[0]!.method).toBe('PATCH');
    expect(calls[0]!.body).toEqual({ title: 'Disk full', assignee: null });
  });

  it('shows a refusal that names no field, such as the proxy denying the route', async () => {
    fakeBackend({
      'POST api/v1/diagnostics': () => {
        throw new HttpFailure(403, { message: 'plugin proxy route access denied' });
      },
    });
    render(<DiagnosticFormModal onSaved={jest.fn()} onDismiss={jest.fn()} />);
    await userEvent.type(screen.getByRole('textbox', { name: 'Title *' }), 'x');
    await userEvent.click(screen.getByRole('button', { name: 'Create' }));
    expect(await screen.findByText('plugin proxy route access denied')).toBeInTheDocument();
  });
});
