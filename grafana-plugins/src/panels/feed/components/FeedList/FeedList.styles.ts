import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

export const ROW_HEIGHT = 30;

export const getStyles = (theme: GrafanaTheme2) => ({
  scroller: css({ position: 'relative', overflowY: 'auto', overflowX: 'hidden', contain: 'strict' }),
  row: css({
    position: 'absolute',
    left: 0,
    right: 0,
    height: ROW_HEIGHT,
    display: 'grid',
    gridTemplateColumns: '72px 64px 88px minmax(90px, 160px) 1fr auto',
    alignItems: 'center',
    gap: theme.spacing(1),
    padding: theme.spacing(0, 1),
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    fontSize: theme.typography.bodySmall.fontSize,
    whiteSpace: 'nowrap',
    '& > span': { overflow: 'hidden', textOverflow: 'ellipsis' },
  }),
  ts: css({ color: theme.colors.text.secondary, fontFamily: theme.typography.fontFamilyMonospace }),
  source: css({ color: theme.colors.text.secondary }),
  kind: css({ fontWeight: theme.typography.fontWeightMedium }),
  actions: css({ display: 'flex', gap: theme.spacing(0.5), alignItems: 'center' }),
  link: css({
    color: theme.colors.text.link,
    whiteSpace: 'nowrap',
    '&:hover': { textDecoration: 'underline' },
  }),
  newMarker: css({
    position: 'absolute',
    top: theme.spacing(0.5),
    left: '50%',
    transform: 'translateX(-50%)',
    zIndex: 1,
  }),
  wrap: css({ position: 'relative' }),
});
