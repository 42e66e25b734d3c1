import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

export const SUMMARY_HEIGHT = 32;

export const getStyles = (theme: GrafanaTheme2) => ({
  root: css({ display: 'flex', flexDirection: 'column', height: '100%' }),
  summary: css({
    display: 'flex',
    gap: theme.spacing(2),
    alignItems: 'center',
    height: SUMMARY_HEIGHT,
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    strong: { color: theme.colors.text.primary },
  }),
});
