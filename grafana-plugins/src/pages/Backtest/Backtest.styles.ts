import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { getPageStyles } from '../styles';

export const getStyles = (theme: GrafanaTheme2) => ({
  ...getPageStyles(theme),
  mono: css({ fontFamily: theme.typography.fontFamilyMonospace }),
  editor: css({ fontFamily: theme.typography.fontFamilyMonospace, minHeight: 200, marginBottom: theme.spacing(1) }),
  progress: css({ color: theme.colors.text.secondary, fontVariantNumeric: 'tabular-nums' }),
});
