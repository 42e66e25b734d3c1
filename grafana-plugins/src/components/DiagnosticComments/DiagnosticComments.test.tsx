import React from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeBackend, HttpFailure } from '../../test/backend';
import { FIXED_TS } from '../../test/fixtures';
import { DiagnosticComments } from './DiagnosticComments';

const comments = [
  { id: 1, ts: FIXED_TS, author: 'guardian', body: 'Incident inc-1 fired again.', kind: 'system' as const },
  { id: 2, ts: FIXED_TS, author: 'grafana/bob', body: 'Resizing.', kind: 'user' as const },
];

describe('DiagnosticComments', () => {
  it('lists comments oldest first and marks the system ones', () => {
    render(<DiagnosticComments diagnosticId="D-1" comments={comments} write={{ enabled: true }} onAdded={jest.fn()} />);
    const items = screen.getAllByRole('listitem');
    expect(items[0]).toHaveTextContent('guardian');
    expect(items[0]).toHaveTextContent('system');
    expect(items[1]).toHaveTextContent('grafana/bob');
  });

  it('posts a comment, then clears the box', async () => {
    const onAdded = jest.fn();
    const { calls } = fakeBackend({
      'POST api/v1/diagnostics/D-1/comments': () => ({ id: 3, ts: FIXED_TS, author: 'me', body: 'Done', kind: 'user' }),
    });
    render(<DiagnosticComments diagnosticId="D-1" comments={[]} write={{ enabled: true }} onAdded={onAdded} />);
    expect(screen.getByText('No comments yet.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Add comment' })).toBeDisabled();
    await userEvent.type(screen.getByRole('textbox', { name: 'Comment' }), '  Done ');
    await userEvent.click(screen.getByRole('button', { name: 'Add comment' }));
    await waitFor(() => expect(onAdded).toHaveBeenCalledWith(expect.objectContaining({ id: 3 })));
    expect(calls[0]!.body).toEqual({ body: 'Done' });
    expect(screen.getByRole('textbox', { name: 'Comment' })).toHaveValue('');
  });

  it('keeps the text when the sidecar refuses it', async () => {
    fakeBackend({
      'POST api/v1/diagnostics/D-1/comments': () => {
        throw new HttpFailure(403, { message: 'plugin proxy route access denied' });
      },
    });
    render(<DiagnosticComments diagnosticId="D-1" comments={[]} write={{ enabled: true }} onAdded={jest.fn()} />);
    await userEvent.type(screen.getByRole('textbox', { name: 'Comment' }), 'hello');
    await userEvent.click(screen.getByRole('button', { name: 'Add comment' }));
    expect(await screen.findByText('plugin proxy route access denied')).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: 'Comment' })).toHaveValue('hello');
  });
});
