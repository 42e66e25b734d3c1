import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

export const getStyles = (theme: GrafanaTheme2) => ({
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    marginBottom: theme.spacing(2),
    'th, td': {
      textAlign: 'left',
      padding: theme.spacing(0.5, 1),
      borderBottom: `1px solid ${theme.colors.border.weak}`,
      fontSize: theme.typography.bodySmall.fontSize,
    },
    th: { color: theme.colors.text.secondary },
  }),
  mono: css({ fontFamily: theme.typography.fontFamilyMonospace }),
  to: css({ color: theme.colors.warning.text }),
  muted: css({ color: theme.colors.text.secondary }),
  ok: css({ color: theme.colors.success.text }),
  bad: css({ color: theme.colors.error.text }),
  heading: css({ ...theme.typography.h6, marginTop: theme.spacing(1) }),
  selector: css({ display: 'flex', gap: theme.spacing(1), alignItems: 'flex-end' }),
});
