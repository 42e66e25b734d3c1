import React from 'react';
import { Alert, Button, Field, Input, Modal, RadioButtonGroup, TagsInput, TextArea, useStyles2 } from '@grafana/ui';
import { type Diagnostic, type DiagnosticDraft, diagnosticsApi, type DiagnosticSeverity } from '../../api';
import { EMPTY_FORM, type DiagnosticFormValues, formValuesOf, patchOf } from '../../data/diagnostics';
import { useSidecarForm } from '../../hooks/useSidecarForm';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './DiagnosticFormModal.styles';

export interface DiagnosticFormModalProps {
  /** The diagnostic to edit (PATCH); without one the form creates a diagnostic (POST). */
  diagnostic?: Diagnostic;
  onSaved: (saved: Diagnostic) => void;
  onDismiss: () => void;
}

const SEVERITY_OPTIONS: Array<{ label: string; value: DiagnosticSeverity }> = [
  { label: 'Info', value: 'info' },
  { label: 'Warning', value: 'warning' },
  { label: 'Critical', value: 'critical' },
];

function draftOf(v: DiagnosticFormValues): DiagnosticDraft {
  const opt = (s: string): string | undefined => s.trim() || undefined;
  return {
    title: v.title.trim(),
    description: v.description.trim() ? v.description : undefined,
    severity: v.severity,
    assignee: opt(v.assignee),
    due_at: opt(v.due_at),
    tags: v.tags.length ? v.tags : undefined,
    component: opt(v.component),
    roadmap_url: opt(v.roadmap_url),
  };
}

/** Create or edit a diagnostic; the sidecar's 400 field paths (`body.title`, …) show next to their fields. */
export function DiagnosticFormModal({ diagnostic, onSaved, onDismiss }: DiagnosticFormModalProps): React.JSX.Element {
  const s = useStyles2(getStyles);
  const initial = diagnostic ? formValuesOf(diagnostic) : EMPTY_FORM;
  const { values, set, errors, failure, busy, submit: save } = useSidecarForm<DiagnosticFormValues>(initial);

  const submit = async (e: React.SyntheticEvent): Promise<void> => {
    e.preventDefault();
    const saved = await save(async (v) => {
      if (diagnostic) {
        const patch = patchOf(initial, v);
        onSaved(Object.keys(patch).length ? await diagnosticsApi.update(diagnostic.id, patch) : diagnostic);
      } else {
        onSaved(await diagnosticsApi.create(draftOf(v)));
      }
    });
    if (saved) {
      onDismiss();
    }
  };

  const err = (field: keyof DiagnosticFormValues): { invalid: boolean; error?: string } => ({
    invalid: Boolean(errors[field]),
    error: errors[field],
  });

  return (
    <Modal title={diagnostic ? `Edit ${diagnostic.id}` : 'Create diagnostic'} isOpen onDismiss={onDismiss}>
      <form onSubmit={submit} data-testid={TEST_IDS.diagnostics.form} noValidate>
        {failure && (
          <Alert severity="error" title={diagnostic ? 'Cannot save the diagnostic' : 'Cannot create the diagnostic'}>
            {failure}
          </Alert>
        )}
        <Field label="Title" required {...err('title')}>
          <Input id="diagnostic-title" value={values.title} onChange={(e) => set({ title: e.currentTarget.value })} />
        </Field>
        <Field label="Description" {...err('description')}>
          <TextArea
            id="diagnostic-description"
            rows={4}
            value={values.description}
            onChange={(e) => set({ description: e.currentTarget.value })}
          />
        </Field>
        <Field label="Severity" {...err('severity')}>
          <RadioButtonGroup
            options={SEVERITY_OPTIONS}
            value={values.severity}
            onChange={(severity) => set({ severity })}
          />
        </Field>
        <div className={s.grid}>
          <Field label="Assignee" {...err('assignee')}>
            <Input
              id="diagnostic-assignee"
              value={values.assignee}
              onChange={(e) => set({ assignee: e.currentTarget.value })}
            />
          </Field>
          <Field label="Due" description="YYYY-MM-DD or an ISO time" {...err('due_at')}>
            <Input
              id="diagnostic-due"
              placeholder="2026-12-01"
              value={values.due_at}
              onChange={(e) => set({ due_at: e.currentTarget.value })}
            />
          </Field>
          <Field label="Component" {...err('component')}>
            <Input
              id="diagnostic-component"
              value={values.component}
              onChange={(e) => set({ component: e.currentTarget.value })}
            />
          </Field>
          <Field label="Roadmap link" {...err('roadmap_url')}>
            <Input
              id="diagnostic-roadmap"
              placeholder="https://…"
              value={values.roadmap_url}
              onChange={(e) => set({ roadmap_url: e.currentTarget.value })}
            />
          </Field>
        </div>
        <Field label="Tags" description="Press Enter after each tag" {...err('tags')}>
          <TagsInput id="diagnostic-tags" addOnBlur tags={values.tags} onChange={(tags) => set({ tags })} />
        </Field>
        <Modal.ButtonRow>
          <Button variant="secondary" fill="outline" onClick={onDismiss}>
            Cancel
          </Button>
          <Button type="submit" disabled={busy}>
            {diagnostic ? 'Save' : 'Create'}
          </Button>
        </Modal.ButtonRow>
      </form>
    </Modal>
  );
}
