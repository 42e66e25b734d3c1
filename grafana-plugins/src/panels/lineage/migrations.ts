import { DEFAULT_NODE } from '../nodeOption';
import type { PanelModel } from '@grafana/data';
import { DEFAULT_LINEAGE_OPTIONS, type LineageOptions } from './types';

/**
 * 0.0.x (preview): `showKpis` was the name of `showSummary`, and `refresh` was a duration string ("30s").
 */
export function migrateLineageOptions(panel: PanelModel<LineageOptions>): LineageOptions {
  const o: Record<string, unknown> = { ...((panel.options ?? {}) as unknown as Record<string, unknown>) };
  if (typeof o.showKpis === 'boolean' && o.showSummary === undefined) {
    o.showSummary = o.showKpis;
  }
  delete o.showKpis;
  if (typeof o.refresh === 'string' && o.refreshSeconds === undefined) {
    const m = /^(\d+)s?$/.exec(o.refresh.trim());
    if (m) {
      o.refreshSeconds = Number(m[1]);
    }
  }
  delete o.refresh;
  // 0.2: the node picker. Panels saved before it show the sidecar the app talks to, as they did.
  if (typeof o.node !== 'string') {
    o.node = DEFAULT_NODE;
  }
  return { ...DEFAULT_LINEAGE_OPTIONS, ...(o as Partial<LineageOptions>) };
}
