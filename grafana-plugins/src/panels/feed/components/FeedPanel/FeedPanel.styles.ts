import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

export const HEADER_HEIGHT = 28;

export const getStyles = (theme: GrafanaTheme2) => ({
  root: css({ display: 'flex', flexDirection: 'column', height: '100%' }),
  header: css({
    height: HEADER_HEIGHT,
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
});
