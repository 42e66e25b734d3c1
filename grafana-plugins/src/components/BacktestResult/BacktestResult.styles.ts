import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { getPageStyles } from '../../pages/styles';

export const getStyles = (theme: GrafanaTheme2) => ({
  ...getPageStyles(theme),
  mono: css({ fontFamily: theme.typography.fontFamilyMonospace }),
  list: css({ margin: 0, paddingLeft: theme.spacing(2) }),
});
