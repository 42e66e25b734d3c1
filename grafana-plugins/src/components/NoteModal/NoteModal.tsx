import React, { useState } from 'react';
import { Alert, Button, Field, Modal, TextArea } from '@grafana/ui';

export interface NoteModalProps {
  title: string;
  confirmText: string;
  /** Whether an empty note is refused. */
  required?: boolean;
  onConfirm: (note: string) => Promise<void>;
  onDismiss: () => void;
}

/** Asks for a note (kept in the audit trail) before an incident transition. */
export function NoteModal({ title, confirmText, required, onConfirm, onDismiss }: NoteModalProps): React.JSX.Element {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const submit = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm(note.trim());
      onDismiss();
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  return (
    <Modal title={title} isOpen onDismiss={onDismiss}>
      {error && (
        <Alert severity="error" title="Failed">
          {error}
        </Alert>
      )}
      <Field label="Note" required={required}>
        <TextArea aria-label="Note" rows={3} value={note} onChange={(e) => setNote(e.currentTarget.value)} />
      </Field>
      <Modal.ButtonRow>
        <Button variant="secondary" fill="outline" onClick={onDismiss}>
          Cancel
        </Button>
        <Button disabled={busy || (required && !note.trim())} onClick={submit}>
          {confirmText}
        </Button>
      </Modal.ButtonRow>
    </Modal>
  );
}
