import React from 'react';
import { Button, Field, Modal, TextArea } from '@grafana/ui';

/** The reason every apply needs, recorded in the audit log(s) `description` names. */
export function ReasonField({
  value,
  onChange,
  description,
  testId,
}: {
  value: string;
  onChange: (reason: string) => void;
  description: string;
  testId: string;
}): React.JSX.Element {
  return (
    <Field label="Reason" description={description} required>
      <TextArea
        data-testid={testId}
        value={value}
        rows={2}
        placeholder="Why are you doing this?"
        onChange={(e) => onChange(e.currentTarget.value)}
      />
    </Field>
  );
}

/** Cancel (Close once applied) and the destructive apply button of a plan → apply dialog. */
export function ApplyButtonRow({
  applied,
  onDismiss,
  label,
  submitting,
  disabled,
  onApply,
  testId,
}: {
  applied: boolean;
  onDismiss: () => void;
  label: string;
  submitting: boolean;
  disabled: boolean;
  onApply: () => void;
  testId: string;
}): React.JSX.Element {
  return (
    <Modal.ButtonRow>
      <Button variant="secondary" fill="outline" onClick={onDismiss}>
        {applied ? 'Close' : 'Cancel'}
      </Button>
      {!applied && (
        <Button variant="destructive" data-testid={testId} disabled={disabled || submitting} onClick={onApply}>
          {submitting ? 'Applying…' : label}
        </Button>
      )}
    </Modal.ButtonRow>
  );
}
