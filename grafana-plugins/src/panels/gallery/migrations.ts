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
  return { ...DEFAULT_GALLERY_OPTIONS, ...(o as Partial<GalleryOptions>) };
}
