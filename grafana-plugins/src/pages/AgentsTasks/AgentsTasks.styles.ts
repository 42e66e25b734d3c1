import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { getPageStyles } from '../styles';

export const getStyles = (theme: GrafanaTheme2) => ({
  ...getPageStyles(theme),
  controls: css({ display: 'flex', gap: theme.spacing(0.5), flexWrap: 'wrap' }),
  error: css({ color: theme.colors.error.text, maxWidth: 320, wordBreak: 'break-word' }),
});
