import React from 'react';
import { Alert, Icon, useStyles2 } from '@grafana/ui';
import type { KillSwitchState } from '../../api';
import { timeAgo } from '../../data/format';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './KillSwitchBanner.styles';

export interface KillSwitchBannerProps {
  killSwitch: KillSwitchState;
  compact?: boolean;
}

/** Kill-switch state with who engaged it, why and since when. */
export function KillSwitchBanner({ killSwitch, compact }: KillSwitchBannerProps): React.JSX.Element {
  const s = useStyles2(getStyles);
  if (!killSwitch.engaged) {
    return (
      <div className={s.ok} data-testid={TEST_IDS.killSwitch.banner} role="status">
        <Icon name="check-circle" /> Kill switch released{compact ? '' : ': the workload may act'}
      </div>
    );
  }
  return (
    <div data-testid={TEST_IDS.killSwitch.banner}>
      <Alert severity="error" title="Kill switch engaged">
        <span className={s.meta}>
          by <strong>{killSwitch.actor ?? 'unknown'}</strong>
          {killSwitch.since && (
            <>
              {' '}
              since <time dateTime={killSwitch.since}>{killSwitch.since}</time> ({timeAgo(killSwitch.since)})
            </>
          )}
          {killSwitch.reason && <> — “{killSwitch.reason}”</>}
        </span>
      </Alert>
    </div>
  );
}
