import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

export const getStyles = (theme: GrafanaTheme2) => ({
  kpis: css({
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    columnGap: theme.spacing(2),
    rowGap: theme.spacing(0.5),
    marginBottom: theme.spacing(2),
    dt: { color: theme.colors.text.secondary },
    dd: { margin: 0, fontFamily: theme.typography.fontFamilyMonospace },
  }),
  images: css({ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(160px, 1fr))', gap: theme.spacing(1) }),
  figure: css({
    margin: 0,
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(0.5),
    img: { width: '100%', height: 120, objectFit: 'contain', background: theme.colors.background.canvas },
    figcaption: { fontSize: theme.typography.bodySmall.fontSize, color: theme.colors.text.secondary },
  }),
  heading: css({ ...theme.typography.h5, marginTop: theme.spacing(2) }),
});
