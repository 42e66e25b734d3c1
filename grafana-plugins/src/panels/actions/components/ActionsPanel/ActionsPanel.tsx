import React, { useCallback, useMemo, useState } from 'react';
import type { PanelProps } from '@grafana/data';
import { Alert, Button, EmptyState, useStyles2 } from '@grafana/ui';
import { lookoutApi, type ActionRecord } from '../../../../api';
import { ActionFlow } from '../../../../components/ActionFlow';
import { KillSwitchBanner } from '../../../../components/KillSwitchBanner';
import { actionAvailability, currentOrgRole } from '../../../../data/roles';
import { useAsync } from '../../../../hooks/useAsync';
import { TEST_IDS } from '../../../../testIds';
import { actionNames, type ActionsOptions } from '../../types';
import { getStyles } from './ActionsPanel.styles';

const DESTRUCTIVE = new Set(['kill', 'rollback', 'kill_release']);

export function ActionsPanel({ options }: PanelProps<ActionsOptions>): React.JSX.Element {
  const s = useStyles2(getStyles);
  const role = currentOrgRole();
  const status = useAsync(() => lookoutApi.status(), [], { intervalMs: (options.refreshSeconds || 5) * 1000 });
  const [open, setOpen] = useState<string>();
  const [last, setLast] = useState<ActionRecord>();
  const names = useMemo(() => actionNames(options), [options]);
  const engaged = status.value?.kill_switch.engaged;
  const onFinished = useCallback(
    (r: ActionRecord) => {
      setLast(r);
      status.reload();
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps -- reload is stable
    []
  );

  if (names.length === 0) {
    return (
      <EmptyState variant="call-to-action" message="No actions selected" hideImage>
        Choose actions in the panel options.
      </EmptyState>
    );
  }

  return (
    <div className={s.root} data-testid={TEST_IDS.actionsPanel.root}>
      {status.error && (
        <Alert severity="error" title="Cannot read the sidecar state">
          {status.error.message}
        </Alert>
      )}
      {status.value && <KillSwitchBanner killSwitch={status.value.kill_switch} compact />}
      <div className={s.buttons}>
        {names.map((name) => {
          const a = actionAvailability(name, role, engaged);
          return (
            <div key={name} className={s.item}>
              <Button
                data-testid={TEST_IDS.actionsPanel.button(name)}
                variant={DESTRUCTIVE.has(name) ? 'destructive' : 'primary'}
                disabled={!a.enabled}
                aria-describedby={a.reason ? `lookout-reason-${name}` : undefined}
                onClick={() => setOpen(name)}
              >
                {name}
              </Button>
              {a.reason && (
                <span
                  id={`lookout-reason-${name}`}
                  className={s.reason}
                  data-testid={TEST_IDS.actionsPanel.disabledReason(name)}
                >
                  {a.reason}
                </span>
              )}
            </div>
          );
        })}
      </div>
      {last && (
        <div className={s.last} role="status">
          Last action: {last.action} → {last.status}
        </div>
      )}
      {open && <ActionFlow action={open} onDismiss={() => setOpen(undefined)} onFinished={onFinished} />}
    </div>
  );
}
