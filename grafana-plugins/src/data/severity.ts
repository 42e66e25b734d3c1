import type { GrafanaTheme2 } from '@grafana/data';
import type { Severity } from '../api';

const RANK: Record<Severity, number> = { debug: 0, info: 1, warning: 2, critical: 3 };

export function severityRank(s: string): number {
  return RANK[s as Severity] ?? 1;
}

export function atLeast(s: string, min: Severity): boolean {
  return severityRank(s) >= RANK[min];
}

export function severityColor(theme: GrafanaTheme2, s: string): string {
  switch (s) {
    case 'critical':
      return theme.colors.error.text;
    case 'warning':
      return theme.colors.warning.text;
    case 'debug':
      return theme.colors.text.disabled;
    default:
      return theme.colors.info.text;
  }
}
