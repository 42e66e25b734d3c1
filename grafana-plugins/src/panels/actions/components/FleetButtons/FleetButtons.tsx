import React, { useState } from 'react';
import { Button, useStyles2 } from '@grafana/ui';
import { fleetApi, type FleetAction, LookoutApiError } from '../../../../api';
import { FleetActionFlow } from '../../../../components/FleetActionFlow';
import { stateCounts } from '../../../../data/fleet';
import { currentOrgRole, roleAvailability } from '../../../../data/roles';
import { useAsync } from '../../../../hooks/useAsync';
import { TEST_IDS } from '../../../../testIds';
import { getStyles } from './FleetButtons.styles';

/** The hub's fleet kill needs Editor (operator), its release Admin: the same as a node's own kill and release. */
const REQUIRED = { kill: 'Editor', kill_release: 'Admin' } as const;
const LABELS: Record<FleetAction, string> = { kill: 'Fleet kill', kill_release: 'Fleet release' };

/**
 * Fleet kill and release, shown when the sidecar the app talks to is a fleet hub: every node (or those with some
 * labels) at once, plan first with the diff per node, then each node's verified state.
 */
export function FleetButtons({ refreshSeconds }: { refreshSeconds: number }): React.JSX.Element | null {
  const s = useStyles2(getStyles);
  const role = currentOrgRole();
  const [open, setOpen] = useState<FleetAction>();
  const fleet = useAsync(() => fleetApi.fleet(), [], { intervalMs: Math.max(1, refreshSeconds) * 5000 });
  const notHub =
    fleet.error instanceof LookoutApiError &&
    (['fleet_not_enabled', 'not_fleet_hub'].includes(fleet.error.code) || fleet.error.status === 404);
  if (notHub || (!fleet.value && !fleet.error)) {
    return null;
  }
  const f = fleet.value;
  const counts = f ? stateCounts(f) : null;
  const state = f?.kill.state;
  return (
    <div className={s.root} data-testid={TEST_IDS.actionsPanel.fleet}>
      <div className={s.summary}>
        {f ? (
          <>
            Fleet of {f.nodes.length} nodes ({counts!.up} up{counts!.stale ? `, ${counts!.stale} stale` : ''}) · fleet
            kill {state ? (state.engaged ? 'engaged' : 'released') : 'never used'}
            {state ? ` by ${state.actor}, revision ${f.kill.revision}` : ''}
          </>
        ) : (
          `Cannot read the fleet: ${fleet.error?.message ?? ''}`
        )}
      </div>
      <div className={s.buttons}>
        {(['kill', 'kill_release'] as const).map((a) => {
          const ok = roleAvailability(role, REQUIRED[a]);
          return (
            <div key={a} className={s.item}>
              <Button
                data-testid={TEST_IDS.actionsPanel.fleetButton(a)}
                variant="destructive"
                disabled={!ok.enabled || !f}
                onClick={() => setOpen(a)}
              >
                {LABELS[a]}
              </Button>
              {ok.reason && <span className={s.reason}>{ok.reason}</span>}
            </div>
          );
        })}
      </div>
      {open && <FleetActionFlow action={open} onDismiss={() => setOpen(undefined)} onFinished={() => fleet.reload()} />}
    </div>
  );
}
