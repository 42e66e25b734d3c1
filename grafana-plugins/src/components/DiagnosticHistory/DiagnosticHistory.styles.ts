import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

export const getStyles = (theme: GrafanaTheme2) => ({
  list: css({
    listStyle: 'none',
    margin: 0,
    padding: 0,
    borderLeft: `2px solid ${theme.colors.border.medium}`,
  }),
  item: css({ padding: theme.spacing(0.5, 0, 1, 1.5) }),
  meta: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
  action: css({ fontWeight: theme.typography.fontWeightMedium }),
  change: css({ fontFamily: theme.typography.fontFamilyMonospace, fontSize: theme.typography.bodySmall.fontSize }),
  note: css({ fontStyle: 'italic', color: theme.colors.text.secondary }),
});
