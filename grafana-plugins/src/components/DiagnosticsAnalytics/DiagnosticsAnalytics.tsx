import React from 'react';
import { useStyles2 } from '@grafana/ui';
import { DIAGNOSTIC_SEVERITIES, type DiagnosticsAnalytics as Analytics, type DiagnosticEstimate } from '../../api';
import { formatSeconds } from '../../data/diagnostics';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './DiagnosticsAnalytics.styles';

export interface DiagnosticsAnalyticsProps {
  analytics: Analytics;
  /** The estimate for the diagnostic open in the detail view, if one is. */
  selectedId?: string;
}

const BASIS: Record<DiagnosticEstimate['basis'], string> = {
  'severity+component': 'same severity and component',
  severity: 'same severity',
  all: 'all resolved',
  none: 'no history',
};

/** The strip above the list: open by severity, overdue, time to resolve, and the selected diagnostic's estimate. */
export function DiagnosticsAnalytics({ analytics: a, selectedId }: DiagnosticsAnalyticsProps): React.JSX.Element {
  const s = useStyles2(getStyles);
  const estimate = a.estimate && a.estimate.diagnostic_id === selectedId ? a.estimate : undefined;
  return (
    <section className={s.strip} aria-label="Diagnostics analytics" data-testid={TEST_IDS.diagnostics.analytics}>
      <div className={s.stat}>
        <span className={s.label}>Open</span>
        <strong className={s.value}>{a.open_total}</strong>
        <p className={s.line}>
          <span className={s.critical}>{a.open_by_severity.critical} critical</span> ·{' '}
          <span className={s.warning}>{a.open_by_severity.warning} warning</span> ·{' '}
          <span className={s.info}>{a.open_by_severity.info} info</span>
        </p>
      </div>
      <div className={s.stat}>
        <span className={s.label}>Overdue</span>
        <strong className={a.overdue > 0 ? `${s.value} ${s.critical}` : s.value}>{a.overdue}</strong>
      </div>
      <div className={`${s.stat} ${s.wide}`}>
        <span className={s.label}>Time to resolve</span>
        <table className={s.table} aria-label="Time to resolve">
          <thead>
            <tr>
              <th />
              <th>median</th>
              <th>p90</th>
              <th>resolved</th>
            </tr>
          </thead>
          <tbody>
            {DIAGNOSTIC_SEVERITIES.map((sev) => {
              const t = a.time_to_resolve[sev];
              return (
                <tr key={sev}>
                  <th scope="row" className={s[sev]}>
                    {sev}
                  </th>
                  <td>{formatSeconds(t.median_s)}</td>
                  <td>{formatSeconds(t.p90_s)}</td>
                  <td>{t.count}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {selectedId && (
        <div className={`${s.stat} ${s.wide}`} data-testid={TEST_IDS.diagnostics.estimate}>
          <span className={s.label}>Estimate for {selectedId}</span>
          {estimate && estimate.median_s !== null ? (
            <>
              <strong className={s.value}>{formatSeconds(estimate.remaining_s)} left</strong>
              <p className={s.line}>
                median {formatSeconds(estimate.median_s)}, p90 {formatSeconds(estimate.p90_s)} from{' '}
                {estimate.sample_size} resolved ({BASIS[estimate.basis]})
              </p>
            </>
          ) : (
            <p className={s.line}>{estimate ? 'Not enough resolved diagnostics to estimate' : 'No estimate'}</p>
          )}
        </div>
      )}
    </section>
  );
}
