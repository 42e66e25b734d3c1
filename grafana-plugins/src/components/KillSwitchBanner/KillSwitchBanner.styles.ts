import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

export const getStyles = (theme: GrafanaTheme2) => ({
  ok: css({ color: theme.colors.success.text, fontSize: theme.typography.bodySmall.fontSize }),
  meta: css({ color: theme.colors.text.secondary }),
});
