import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { getPageStyles } from '../styles';

export const getStyles = (theme: GrafanaTheme2) => ({
  ...getPageStyles(theme),
  header: css({
    display: 'flex',
    justifyContent: 'space-between',
    alignItems: 'center',
    gap: theme.spacing(1),
    marginBottom: theme.spacing(2),
  }),
  footer: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(2),
    marginTop: theme.spacing(2),
  }),
});
