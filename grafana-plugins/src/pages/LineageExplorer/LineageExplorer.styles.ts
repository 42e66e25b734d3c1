import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { getPageStyles } from '../styles';

export const getStyles = (theme: GrafanaTheme2) => ({
  ...getPageStyles(theme),
  graph: css({
    height: 520,
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    background: theme.colors.background.primary,
  }),
  serving: css({ color: theme.colors.text.secondary, strong: { color: theme.colors.text.primary } }),
});
