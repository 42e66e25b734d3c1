import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

export const getStyles = (theme: GrafanaTheme2) => ({
  body: css({ display: 'flex', flexDirection: 'column', alignItems: 'center', gap: theme.spacing(1) }),
  img: css({ maxWidth: '100%', maxHeight: '70vh', objectFit: 'contain', background: theme.colors.background.canvas }),
  nav: css({ display: 'flex', gap: theme.spacing(1), alignItems: 'center', color: theme.colors.text.secondary }),
});
