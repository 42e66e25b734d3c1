import React from 'react';
import { Alert, Button, Field, Input, Modal, TagsInput, TextArea, useStyles2 } from '@grafana/ui';
import { lookoutApi, type Task, type TaskDraft } from '../../api';
import { useSidecarForm } from '../../hooks/useSidecarForm';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './TaskQueue.styles';

export interface TaskCreateModalProps {
  onCreated: (task: Task) => void;
  onDismiss: () => void;
}

interface Values {
  title: string;
  description: string;
  priority: string;
  category: string;
  capabilities: string[];
  maxAttempts: string;
}

const EMPTY: Values = { title: '', description: '', priority: '0', category: '', capabilities: [], maxAttempts: '' };

function draftOf(v: Values): TaskDraft {
  const num = (s: string): number | undefined => (s.trim() === '' ? undefined : Number(s));
  return {
    title: v.title.trim(),
    description: v.description,
    priority: num(v.priority) ?? 0,
    category: v.category.trim() || null,
    dependencies: [],
    required_capabilities: v.capabilities,
    max_attempts: num(v.maxAttempts),
  };
}

/** Queues a new task; the sidecar's 400 field paths (`body.title`, …) show next to their fields. */
export function TaskCreateModal({ onCreated, onDismiss }: TaskCreateModalProps): React.JSX.Element {
  const s = useStyles2(getStyles);
  const { values, set, errors, failure, busy, submit: save } = useSidecarForm<Values>(EMPTY);

  const submit = async (e: React.SyntheticEvent): Promise<void> => {
    e.preventDefault();
    if (await save(async (v) => onCreated(await lookoutApi.createTask(draftOf(v))))) {
      onDismiss();
    }
  };

  return (
    <Modal title="Create task" isOpen onDismiss={onDismiss}>
      <form className={s.form} onSubmit={submit} data-testid={TEST_IDS.agentsPage.createForm} noValidate>
        {failure && (
          <Alert severity="error" title="The sidecar refused the task">
            {failure}
          </Alert>
        )}
        <Field label="Title" required invalid={Boolean(errors.title)} error={errors.title}>
          <Input
            data-testid={TEST_IDS.agentsPage.createTitle}
            value={values.title}
            onChange={(e) => set({ title: e.currentTarget.value })}
          />
        </Field>
        <Field label="Description" invalid={Boolean(errors.description)} error={errors.description}>
          <TextArea rows={2} value={values.description} onChange={(e) => set({ description: e.currentTarget.value })} />
        </Field>
        <div className={s.row}>
          <Field
            label="Priority"
            description="Higher is assigned first"
            invalid={Boolean(errors.priority)}
            error={errors.priority}
          >
            <Input type="number" value={values.priority} onChange={(e) => set({ priority: e.currentTarget.value })} />
          </Field>
          <Field
            label="Max attempts"
            description="Failures before it is dead-lettered (empty: the sidecar's default)"
            invalid={Boolean(errors.max_attempts)}
            error={errors.max_attempts}
          >
            <Input
              type="number"
              aria-label="Max attempts"
              value={values.maxAttempts}
              onChange={(e) => set({ maxAttempts: e.currentTarget.value })}
            />
          </Field>
        </div>
        <Field label="Category" invalid={Boolean(errors.category)} error={errors.category}>
          <Input value={values.category} onChange={(e) => set({ category: e.currentTarget.value })} />
        </Field>
        <Field
          label="Required capabilities"
          description="Only an agent with all of them takes the task"
          invalid={Boolean(errors.required_capabilities)}
          error={errors.required_capabilities}
        >
          <TagsInput tags={values.capabilities} onChange={(capabilities) => set({ capabilities })} />
        </Field>
        <Modal.ButtonRow>
          <Button variant="secondary" fill="outline" onClick={onDismiss}>
            Cancel
          </Button>
          <Button type="submit" disabled={busy} data-testid={TEST_IDS.agentsPage.createSubmit}>
            {busy ? 'Creating…' : 'Create task'}
          </Button>
        </Modal.ButtonRow>
      </form>
    </Modal>
  );
}
