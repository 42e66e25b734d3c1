import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

export const getStyles = (theme: GrafanaTheme2, tileWidth: number) => ({
  root: css({ display: 'flex', flexDirection: 'column', height: '100%', gap: theme.spacing(1) }),
  toolbar: css({ display: 'flex', gap: theme.spacing(1), alignItems: 'center', flexWrap: 'wrap' }),
  scroller: css({ flex: 1, overflowY: 'auto', minHeight: 0 }),
  grid: css({
    display: 'grid',
    gridTemplateColumns: `repeat(auto-fill, minmax(${tileWidth}px, 1fr))`,
    gap: theme.spacing(1),
  }),
  tile: css({
    display: 'flex',
    flexDirection: 'column',
    padding: theme.spacing(0.5),
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    background: theme.colors.background.secondary,
    color: theme.colors.text.primary,
    cursor: 'zoom-in',
    textAlign: 'left',
    '&:hover, &:focus-visible': { borderColor: theme.colors.primary.border, outline: 'none' },
  }),
  img: css({ width: '100%', aspectRatio: '4 / 3', objectFit: 'contain', background: theme.colors.background.canvas }),
  caption: css({
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.text.secondary,
    whiteSpace: 'nowrap',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
  }),
  sentinel: css({ height: 1 }),
});
