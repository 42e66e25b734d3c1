import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

export const getStyles = (theme: GrafanaTheme2) => ({
  list: css({ listStyle: 'none', margin: 0, padding: 0 }),
  item: css({
    padding: theme.spacing(1, 0),
    borderBottom: `1px solid ${theme.colors.border.weak}`,
  }),
  meta: css({
    display: 'flex',
    gap: theme.spacing(1),
    alignItems: 'center',
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  body: css({ whiteSpace: 'pre-wrap', margin: theme.spacing(0.5, 0, 0) }),
  system: css({ color: theme.colors.text.secondary, fontStyle: 'italic' }),
  form: css({ marginTop: theme.spacing(1) }),
  actions: css({ display: 'flex', justifyContent: 'flex-end', marginTop: theme.spacing(1) }),
});
