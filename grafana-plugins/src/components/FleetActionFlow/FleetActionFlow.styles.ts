import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { getStyles as getActionFlowStyles } from '../ActionFlow/ActionFlow.styles';

/** The action flow's table and headings, and what the per-node view adds. */
export const getStyles = (theme: GrafanaTheme2) => ({
  ...getActionFlowStyles(theme),
  mono: css({ fontFamily: theme.typography.fontFamilyMonospace }),
  muted: css({ color: theme.colors.text.secondary }),
  ok: css({ color: theme.colors.success.text }),
  bad: css({ color: theme.colors.error.text }),
  selector: css({ display: 'flex', gap: theme.spacing(1), alignItems: 'flex-end' }),
});
