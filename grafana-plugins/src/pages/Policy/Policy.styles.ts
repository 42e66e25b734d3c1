import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { getPageStyles } from '../styles';

export const getStyles = (theme: GrafanaTheme2) => ({
  ...getPageStyles(theme),
  mono: css({ fontFamily: theme.typography.fontFamilyMonospace }),
  version: css({
    fontFamily: theme.typography.fontFamilyMonospace,
    fontSize: theme.typography.body.fontSize,
    wordBreak: 'break-all',
  }),
  text: css({
    fontFamily: theme.typography.fontFamilyMonospace,
    fontSize: theme.typography.bodySmall.fontSize,
    background: theme.colors.background.secondary,
    padding: theme.spacing(1.5),
    borderRadius: theme.shape.radius.default,
    maxHeight: 480,
    overflow: 'auto',
    whiteSpace: 'pre',
  }),
  reason: css({ color: theme.colors.text.secondary, maxWidth: 520 }),
  steps: css({ fontFamily: theme.typography.fontFamilyMonospace, fontSize: theme.typography.bodySmall.fontSize }),
  editor: css({ fontFamily: theme.typography.fontFamilyMonospace, minHeight: 160 }),
});
