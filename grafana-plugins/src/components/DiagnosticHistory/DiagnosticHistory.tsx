import React from 'react';
import { useStyles2 } from '@grafana/ui';
import type { DiagnosticHistoryEntry } from '../../api';
import { describeChanges } from '../../data/diagnostics';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './DiagnosticHistory.styles';

export interface DiagnosticHistoryProps {
  history: DiagnosticHistoryEntry[];
}

/** Who changed what and when, newest first. */
export function DiagnosticHistory({ history }: DiagnosticHistoryProps): React.JSX.Element {
  const s = useStyles2(getStyles);
  const newestFirst = [...history].sort((a, b) => b.seq - a.seq);
  return (
    <ol className={s.list} aria-label="History" data-testid={TEST_IDS.diagnostics.history}>
      {newestFirst.map((h) => (
        <li key={h.seq} className={s.item}>
          <div className={s.meta}>
            <span title={h.ts}>{h.ts.replace('T', ' ').slice(0, 19)}</span> · {h.actor}
          </div>
          <div className={s.action}>{h.action.replace(/_/g, ' ')}</div>
          {describeChanges(h.changes).map((line) => (
            <div key={line} className={s.change}>
              {line}
            </div>
          ))}
          {h.note && <div className={s.note}>“{h.note}”</div>}
        </li>
      ))}
    </ol>
  );
}
