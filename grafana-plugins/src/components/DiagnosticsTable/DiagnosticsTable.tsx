import React from 'react';
import { AppLink } from '../AppLink';
import { Badge, Tag, useStyles2 } from '@grafana/ui';
import type { Diagnostic } from '../../api';
import { diagnosticUrl } from '../../constants';
import { severityBadgeColor, statusColor, statusLabel } from '../../data/diagnostics';
import { timeAgo } from '../../data/format';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './DiagnosticsTable.styles';

export interface DiagnosticsTableProps {
  items: Diagnostic[];
  /** The diagnostic open in the detail view, highlighted. */
  selectedId?: string;
}

/** One row per diagnostic; the id and title link to its detail. */
export function DiagnosticsTable({ items, selectedId }: DiagnosticsTableProps): React.JSX.Element {
  const s = useStyles2(getStyles);
  return (
    <table className={s.table} aria-label="Diagnostics" data-testid={TEST_IDS.diagnostics.table}>
      <thead>
        <tr>
          <th>ID</th>
          <th>Severity</th>
          <th>Title</th>
          <th>Status</th>
          <th>Assignee</th>
          <th>Due</th>
          <th>Tags</th>
          <th>Updated</th>
        </tr>
      </thead>
      <tbody>
        {items.map((d) => (
          <tr
            key={d.id}
            className={d.id === selectedId ? s.selected : undefined}
            aria-selected={d.id === selectedId}
            data-testid={TEST_IDS.diagnostics.row(d.id)}
          >
            <td className={s.id}>{d.id}</td>
            <td>
              <Badge text={d.severity} color={severityBadgeColor(d.severity)} />
            </td>
            <td>
              <AppLink className={s.link} to={diagnosticUrl(d.id)}>
                {d.title}
              </AppLink>
              {d.component && <div className={s.muted}>{d.component}</div>}
            </td>
            <td>
              <Badge text={statusLabel(d.status)} color={statusColor(d.status)} />
            </td>
            <td>{d.assignee ?? <span className={s.muted}>unassigned</span>}</td>
            <td title={d.due_at ?? undefined}>
              {d.due_at ? d.due_at.slice(0, 10) : '—'}
              {d.overdue && <div className={s.overdue}>overdue</div>}
            </td>
            <td>
              <div className={s.tags}>
                {d.tags.map((t) => (
                  <Tag key={t} name={t} />
                ))}
              </div>
            </td>
            <td title={d.updated_at}>{timeAgo(d.updated_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
