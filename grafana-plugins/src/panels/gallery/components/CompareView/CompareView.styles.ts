import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

export const getStyles = (theme: GrafanaTheme2) => ({
  pickers: css({ display: 'flex', gap: theme.spacing(1), marginBottom: theme.spacing(1) }),
  row: css({
    display: 'grid',
    gridTemplateColumns: '120px 1fr 1fr',
    gap: theme.spacing(1),
    alignItems: 'center',
    marginBottom: theme.spacing(1),
  }),
  label: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
  img: css({ width: '100%', maxHeight: 260, objectFit: 'contain', background: theme.colors.background.canvas }),
  missing: css({ color: theme.colors.text.disabled, textAlign: 'center' }),
});
