import React from 'react';
import { Alert, Button, Field, Modal, TextArea } from '@grafana/ui';

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

/** The interlocks a plan reports, in the sidecar's (or the hub's) own words; nothing when there are none. */
export function InterlocksAlert({
  interlocks,
  title,
  severity = 'warning',
  testId,
}: {
  interlocks: ReadonlyArray<{ code: string; message: string; overridden?: boolean }>;
  title: string;
  severity?: 'warning' | 'info';
  testId?: string;
}): React.JSX.Element | null {
  if (interlocks.length === 0) {
    return null;
  }
  return (
    <Alert severity={severity} title={title} data-testid={testId}>
      <ul>
        {interlocks.map((i) => (
          <li key={i.code}>
            <code>{i.code}</code>: {i.message}
            {i.overridden ? ' (overridden)' : ''}
          </li>
        ))}
      </ul>
    </Alert>
  );
}
