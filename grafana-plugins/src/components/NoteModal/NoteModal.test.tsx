import React from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { NoteModal } from './NoteModal';

describe('NoteModal', () => {
  it('requires a note when asked and passes it trimmed', async () => {
    const onConfirm = jest.fn().mockResolvedValue(undefined);
    const onDismiss = jest.fn();
    render(<NoteModal title="Resolve" confirmText="Resolve" required onConfirm={onConfirm} onDismiss={onDismiss} />);
    const confirm = screen.getByRole('button', { name: 'Resolve' });
    expect(confirm).toBeDisabled();
    await userEvent.type(screen.getByRole('textbox', { name: 'Note' }), '  fixed feed  ');
    await userEvent.click(confirm);
    await waitFor(() => expect(onDismiss).toHaveBeenCalled());
    expect(onConfirm).toHaveBeenCalledWith('fixed feed');
  });

  it('keeps the modal open and shows the error when the call fails', async () => {
    const onDismiss = jest.fn();
    render(
      <NoteModal
        title="Ack"
        confirmText="Acknowledge"
        onConfirm={() => Promise.reject(new Error('gone'))}
        onDismiss={onDismiss}
      />
    );
    await userEvent.click(screen.getByRole('button', { name: 'Acknowledge' }));
    expect(await screen.findByText('gone')).toBeInTheDocument();
    expect(onDismiss).not.toHaveBeenCalled();
  });
});
