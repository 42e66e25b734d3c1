import React from 'react';
import { Alert, Badge, Drawer, LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import { lookoutApi } from '../../api';
import { useAsync } from '../../hooks/useAsync';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './DecisionDrawer.styles';

export interface DecisionDrawerProps {
  decisionId: string;
  onClose: () => void;
}

/** A scheduler decision's "why": verdict, inputs seen, thresholds and rule version. */
export function DecisionDrawer({ decisionId, onClose }: DecisionDrawerProps): React.JSX.Element {
  const s = useStyles2(getStyles);
  const d = useAsync(() => lookoutApi.decision(decisionId), [decisionId]);
  return (
    <Drawer title={`Decision ${decisionId}`} onClose={onClose} size="md">
      <div data-testid={TEST_IDS.feed.decision}>
        {d.loading && !d.value && <LoadingPlaceholder text="Loading decision…" />}
        {d.error && (
          <Alert severity="error" title="Cannot load decision">
            {d.error.message}
          </Alert>
        )}
        {d.value && (
          <>
            <p>
              <Badge
                text={d.value.verdict}
                color={d.value.verdict === 'hold' || d.value.verdict === 'inconclusive' ? 'blue' : 'orange'}
              />{' '}
              policy <strong>{d.value.policy}</strong> (rule v{d.value.rule_version}) at {d.value.ts}
              {d.value.action_id && <> → action {d.value.action_id}</>}
            </p>
            <div className={s.heading}>Why</div>
            <p className={s.why}>{d.value.reason}</p>
            <div className={s.heading}>Inputs</div>
            <pre className={s.pre}>{JSON.stringify(d.value.inputs, null, 2)}</pre>
            <div className={s.heading}>Thresholds</div>
            <pre className={s.pre}>{JSON.stringify(d.value.thresholds, null, 2)}</pre>
          </>
        )}
      </div>
    </Drawer>
  );
}
