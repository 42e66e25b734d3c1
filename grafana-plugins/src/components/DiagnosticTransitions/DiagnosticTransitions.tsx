import React, { useState } from 'react';
import { Button, useStyles2 } from '@grafana/ui';
import {
  type Diagnostic,
  type DiagnosticDetail,
  diagnosticsApi,
  type DiagnosticStatus,
  type InvalidTransitionDetails,
  LookoutApiError,
} from '../../api';
import { isInvalidTransition, statusLabel, TRANSITION_LABELS } from '../../data/diagnostics';
import type { Availability } from '../../data/roles';
import { TEST_IDS } from '../../testIds';
import { NoteModal } from '../NoteModal';
import { getStyles } from './DiagnosticTransitions.styles';

export interface DiagnosticTransitionsProps {
  diagnostic: DiagnosticDetail;
  /** Whether the user may move the status (Editor), and why not. */
  write: Availability;
  onChanged: (updated: Diagnostic) => void;
  /** The sidecar refused the move (409 `invalid_transition`): someone else changed the status meanwhile. */
  onConflict: (details: InvalidTransitionDetails) => void;
}

type Move = { kind: 'transition'; to: DiagnosticStatus } | { kind: 'reopen' };

/** One button per move the sidecar allows from the current status (plus reopen), each asking for an optional note. */
export function DiagnosticTransitions({
  diagnostic: d,
  write,
  onChanged,
  onConflict,
}: DiagnosticTransitionsProps): React.JSX.Element {
  const s = useStyles2(getStyles);
  const [pending, setPending] = useState<Move>();
  const reason = write.enabled ? undefined : write.reason;

  const confirm = async (note: string): Promise<void> => {
    if (!pending) {
      return;
    }
    try {
      const updated =
        pending.kind === 'reopen'
          ? await diagnosticsApi.reopen(d.id, note || undefined)
          : await diagnosticsApi.transition(d.id, pending.to, note || undefined);
      onChanged(updated);
    } catch (e) {
      if (e instanceof LookoutApiError && e.status === 409 && isInvalidTransition(e.details)) {
        onConflict(e.details);
        return;
      }
      throw e;
    }
  };

  return (
    <div className={s.row} role="group" aria-label="Status transitions">
      {d.allowed_transitions.map((to) => (
        <Button
          key={to}
          size="sm"
          variant={to === 'resolved' ? 'primary' : 'secondary'}
          icon={to === 'resolved' ? 'check' : to === 'closed' ? 'times' : to === 'in_progress' ? 'play' : 'history'}
          disabled={!write.enabled}
          tooltip={reason}
          data-testid={TEST_IDS.diagnostics.transition(to)}
          onClick={() => setPending({ kind: 'transition', to })}
        >
          {TRANSITION_LABELS[to]}
        </Button>
      ))}
      {d.can_reopen && (
        <Button
          size="sm"
          variant="secondary"
          icon="history"
          disabled={!write.enabled}
          tooltip={reason}
          data-testid={TEST_IDS.diagnostics.reopen}
          onClick={() => setPending({ kind: 'reopen' })}
        >
          Reopen
        </Button>
      )}
      {pending && (
        <NoteModal
          title={
            pending.kind === 'reopen'
              ? `Reopen ${d.id}`
              : `Move ${d.id} from ${statusLabel(d.status)} to ${statusLabel(pending.to)}`
          }
          confirmText={pending.kind === 'reopen' ? 'Reopen' : TRANSITION_LABELS[pending.to]}
          onConfirm={confirm}
          onDismiss={() => setPending(undefined)}
        />
      )}
    </div>
  );
}
