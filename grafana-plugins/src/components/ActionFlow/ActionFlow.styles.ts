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
      fontFamily: theme.typography.fontFamilyMonospace,
      fontSize: theme.typography.bodySmall.fontSize,
    },
    th: { color: theme.colors.text.secondary, fontFamily: theme.typography.fontFamily },
  }),
  to: css({ color: theme.colors.warning.text }),
  heading: css({ ...theme.typography.h6, marginTop: theme.spacing(1) }),
  steps: css({ display: 'flex', gap: theme.spacing(1), alignItems: 'center', margin: theme.spacing(2, 0) }),
  step: css({ color: theme.colors.text.disabled }),
  stepDone: css({ color: theme.colors.success.text }),
  stepCurrent: css({ color: theme.colors.text.primary, fontWeight: theme.typography.fontWeightMedium }),
  stepFailed: css({ color: theme.colors.error.text, fontWeight: theme.typography.fontWeightMedium }),
});
