import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

export const statusColor = (theme: GrafanaTheme2, status: string): string => {
  switch (status) {
    case 'active':
      return theme.colors.success.main;
    case 'canary':
      return theme.colors.warning.main;
    case 'candidate':
      return theme.colors.info.main;
    case 'failed':
      return theme.colors.error.main;
    default:
      return theme.colors.secondary.border;
  }
};

export const getStyles = (theme: GrafanaTheme2) => ({
  root: css({ position: 'relative', overflow: 'hidden', userSelect: 'none', outline: 'none' }),
  svg: css({ display: 'block', cursor: 'grab', '&:active': { cursor: 'grabbing' } }),
  toolbar: css({
    position: 'absolute',
    top: theme.spacing(1),
    right: theme.spacing(1),
    display: 'flex',
    gap: theme.spacing(0.5),
    background: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(0.5),
    boxShadow: theme.shadows.z1,
  }),
  node: css({ cursor: 'pointer' }),
  nodeBox: css({ fill: theme.colors.background.primary, strokeWidth: 2 }),
  nodeSelected: css({ strokeWidth: 4 }),
  nodeTitle: css({ fill: theme.colors.text.primary, fontSize: 13, fontWeight: theme.typography.fontWeightMedium }),
  nodeMeta: css({ fill: theme.colors.text.secondary, fontSize: 11 }),
  edge: css({ stroke: theme.colors.border.strong, strokeWidth: 1.5, fill: 'none' }),
  tooltip: css({
    position: 'absolute',
    pointerEvents: 'none',
    background: theme.colors.background.elevated ?? theme.colors.background.primary,
    border: `1px solid ${theme.colors.border.medium}`,
    borderRadius: theme.shape.radius.default,
    boxShadow: theme.shadows.z3,
    padding: theme.spacing(1),
    fontSize: theme.typography.bodySmall.fontSize,
    maxWidth: 280,
    zIndex: 2,
  }),
  kpis: css({ display: 'grid', gridTemplateColumns: 'auto auto', columnGap: theme.spacing(1), margin: 0 }),
});
