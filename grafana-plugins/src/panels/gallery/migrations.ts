import { DEFAULT_NODE } from '../nodeOption';
import type { PanelModel } from '@grafana/data';
import { DEFAULT_GALLERY_OPTIONS, type GalleryOptions } from './types';

/**
 * 0.0.x (preview): `limit` was the name of `pageSize`, and `generation: "*"` meant all generations.
 */
export function migrateGalleryOptions(panel: PanelModel<GalleryOptions>): GalleryOptions {
  const o: Record<string, unknown> = { ...((panel.options ?? {}) as unknown as Record<string, unknown>) };
  if (typeof o.limit === 'number' && o.pageSize === undefined) {
    o.pageSize = o.limit;
  }
  delete o.limit;
  if (o.generation === '*') {
    o.generation = '';
  }
  // 0.2: the node picker. Panels saved before it show the sidecar the app talks to, as they did.
  if (typeof o.node !== 'string') {
    o.node = DEFAULT_NODE;
  }
  return { ...DEFAULT_GALLERY_OPTIONS, ...(o as Partial<GalleryOptions>) };
}
