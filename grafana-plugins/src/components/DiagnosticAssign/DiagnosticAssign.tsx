import React, { useState } from 'react';
import { config } from '@grafana/runtime';
import { Alert, Button, Input, useStyles2 } from '@grafana/ui';
import { type Diagnostic, diagnosticsApi } from '../../api';
import type { Availability } from '../../data/roles';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './DiagnosticAssign.styles';

export interface DiagnosticAssignProps {
  diagnostic: Diagnostic;
  /** Whether the user may assign (Editor), and why not. */
  write: Availability;
  onChanged: (updated: Diagnostic) => void;
}

/** Assign a diagnostic to someone (the sidecar notifies them), to yourself, or unassign it. */
export function DiagnosticAssign({ diagnostic, write, onChanged }: DiagnosticAssignProps): React.JSX.Element {
  const s = useStyles2(getStyles);
  const [assignee, setAssignee] = useState(diagnostic.assignee ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const me = config.bootData?.user?.login;
  const reason = write.enabled ? undefined : write.reason;

  const assign = async (to: string | null): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      const updated = await diagnosticsApi.assign(diagnostic.id, to);
      setAssignee(updated.assignee ?? '');
      onChanged(updated);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div data-testid={TEST_IDS.diagnostics.assign}>
      {error && (
        <Alert severity="error" title="Cannot assign">
          {error}
        </Alert>
      )}
      <div className={s.row}>
        <Input
          className={s.input}
          aria-label="Assign to"
          placeholder="Grafana login or team"
          disabled={!write.enabled}
          value={assignee}
          onChange={(e) => setAssignee(e.currentTarget.value)}
        />
        <Button
          size="sm"
          variant="secondary"
          disabled={!write.enabled || busy || !assignee.trim() || assignee.trim() === diagnostic.assignee}
          tooltip={reason}
          onClick={() => assign(assignee.trim())}
        >
          Assign
        </Button>
        {me && me !== diagnostic.assignee && (
          <Button
            size="sm"
            variant="secondary"
            fill="outline"
            disabled={!write.enabled || busy}
            tooltip={reason}
            onClick={() => assign(me)}
          >
            Assign to me
          </Button>
        )}
        {diagnostic.assignee && (
          <Button
            size="sm"
            variant="secondary"
            fill="text"
            disabled={!write.enabled || busy}
            tooltip={reason}
            onClick={() => assign(null)}
          >
            Unassign
          </Button>
        )}
      </div>
    </div>
  );
}
