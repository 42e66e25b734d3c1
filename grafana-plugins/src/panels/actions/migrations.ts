import { DEFAULT_NODE } from '../nodeOption';
import type { PanelModel } from '@grafana/data';
import { DEFAULT_ACTIONS_OPTIONS, type ActionsOptions } from './types';

/**
 * Options saved by older versions of the panel, upgraded to the current shape.
 * 0.0.x (preview): `actions` was a comma-separated string and `refresh` a duration string like "5s".
 */
export function migrateActionsOptions(panel: PanelModel<ActionsOptions>): ActionsOptions {
  const o: Record<string, unknown> = { ...((panel.options ?? {}) as unknown as Record<string, unknown>) };
  if (typeof o.actions === 'string' && o.buttons === undefined) {
    o.buttons = o.actions
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  }
  delete o.actions;
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
  return { ...DEFAULT_ACTIONS_OPTIONS, ...(o as Partial<ActionsOptions>) };
}
