import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { getPageStyles } from '../../pages/styles';

export const getStyles = (theme: GrafanaTheme2) => ({
  table: getPageStyles(theme).table,
  muted: getPageStyles(theme).muted,
  form: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  row: css({ display: 'flex', gap: theme.spacing(2), '& > *': { flex: 1 } }),
  error: css({ color: theme.colors.error.text, wordBreak: 'break-word' }),
});
