import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

export const getStyles = (theme: GrafanaTheme2) => ({
  toolbar: css({
    display: 'flex',
    gap: theme.spacing(1),
    alignItems: 'center',
    justifyContent: 'space-between',
    flexWrap: 'wrap',
    marginBottom: theme.spacing(2),
  }),
  badges: css({ display: 'flex', gap: theme.spacing(1), alignItems: 'center' }),
  section: css({ marginBottom: theme.spacing(3) }),
  heading: css({ ...theme.typography.h5, marginBottom: theme.spacing(1) }),
  description: css({ whiteSpace: 'pre-wrap', marginBottom: theme.spacing(2) }),
  fields: css({
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    columnGap: theme.spacing(2),
    rowGap: theme.spacing(0.5),
    margin: 0,
    dt: { color: theme.colors.text.secondary },
    dd: { margin: 0 },
  }),
  tags: css({ display: 'flex', flexWrap: 'wrap', gap: theme.spacing(0.5) }),
  overdue: css({ color: theme.colors.error.text, marginLeft: theme.spacing(1) }),
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    'th, td': {
      textAlign: 'left',
      padding: theme.spacing(0.5, 1),
      borderBottom: `1px solid ${theme.colors.border.weak}`,
    },
    th: { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium },
  }),
  muted: css({ color: theme.colors.text.secondary }),
});
