import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { getPageStyles } from '../../pages/styles';

export const getStyles = (theme: GrafanaTheme2) => ({
  table: getPageStyles(theme).table,
  muted: getPageStyles(theme).muted,
  selected: css({ background: theme.colors.action.selected }),
  id: css({ fontFamily: theme.typography.fontFamilyMonospace, whiteSpace: 'nowrap' }),
  link: css({
    color: theme.colors.text.link,
    '&:hover': { textDecoration: 'underline' },
  }),
  tags: css({ display: 'flex', flexWrap: 'wrap', gap: theme.spacing(0.5) }),
  overdue: css({ color: theme.colors.error.text }),
});
