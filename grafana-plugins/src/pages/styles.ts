import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

/** Table and layout styles shared by the app pages. */
export const getPageStyles = (theme: GrafanaTheme2) => ({
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    'th, td': {
      textAlign: 'left',
      padding: theme.spacing(0.75, 1),
      borderBottom: `1px solid ${theme.colors.border.weak}`,
    },
    th: { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium },
  }),
  section: css({ marginBottom: theme.spacing(3) }),
  heading: css({ ...theme.typography.h4, marginBottom: theme.spacing(1) }),
  toolbar: css({
    display: 'flex',
    gap: theme.spacing(1),
    alignItems: 'center',
    marginBottom: theme.spacing(2),
    flexWrap: 'wrap',
  }),
  stats: css({
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fill, minmax(160px, 1fr))',
    gap: theme.spacing(1),
    marginBottom: theme.spacing(2),
  }),
  stat: css({
    padding: theme.spacing(1, 1.5),
    background: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
    span: { display: 'block', color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize },
    strong: { ...theme.typography.h4, margin: 0 },
  }),
  muted: css({ color: theme.colors.text.secondary }),
  link: css({
    color: theme.colors.text.link,
    '&:hover': { textDecoration: 'underline' },
  }),
});
