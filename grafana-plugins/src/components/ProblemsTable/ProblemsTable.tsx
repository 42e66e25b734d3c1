import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import { getPageStyles } from '../../pages/styles';

export interface Problem {
  path: string;
  message: string;
}

const getStyles = (theme: GrafanaTheme2) => ({
  ...getPageStyles(theme),
  mono: css({ fontFamily: theme.typography.fontFamilyMonospace }),
});

/** Every problem the sidecar found, each at its path (`guardian.rules.2.op`, `body.rule.metric`). */
export function ProblemsTable({ problems, label }: { problems: Problem[]; label: string }): React.JSX.Element {
  const s = useStyles2(getStyles);
  return (
    <table className={s.table} aria-label={label}>
      <thead>
        <tr>
          <th>Where</th>
          <th>Problem</th>
        </tr>
      </thead>
      <tbody>
        {problems.map((p, i) => (
          <tr key={`${p.path}-${i}`}>
            <td className={s.mono}>{p.path}</td>
            <td>{p.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
