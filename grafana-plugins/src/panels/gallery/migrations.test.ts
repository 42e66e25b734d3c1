import type { PanelModel } from '@grafana/data';
import { migrateGalleryOptions } from './migrations';
import { DEFAULT_GALLERY_OPTIONS } from './types';

const panel = (options: Record<string, unknown>, pluginVersion?: string): PanelModel =>
  ({ id: 1, options, fieldConfig: { defaults: {}, overrides: [] }, pluginVersion }) as unknown as PanelModel;

describe('gallery panel option migrations', () => {
  describe('new panel', () => {
    it('gets the defaults', () => {
      expect(migrateGalleryOptions(panel({}))).toEqual(DEFAULT_GALLERY_OPTIONS);
    });
  });

  describe('0.0.x preview', () => {
    it('renames limit to pageSize', () => {
      const o = migrateGalleryOptions(panel({ limit: 12 }, '0.0.1'));
      expect(o.pageSize).toBe(12);
      expect(o).not.toHaveProperty('limit');
    });

    it('turns generation "*" into all generations', () => {
      expect(migrateGalleryOptions(panel({ generation: '*' }, '0.0.1')).generation).toBe('');
    });
  });

  describe('0.1.x', () => {
    it('keeps its options and gains the polling interval used while the stream is down', () => {
      const o = { generation: 'g2', kind: 'pnl', pageSize: 10, tileWidth: 120 };
      expect(migrateGalleryOptions(panel(o, '0.1.0'))).toEqual({ ...o, pollSeconds: 15 });
    });

    it('keeps a chosen polling interval', () => {
      const o = { generation: 'g2', kind: 'pnl', pageSize: 10, tileWidth: 120, pollSeconds: 30 };
      expect(migrateGalleryOptions(panel(o, '0.1.0'))).toEqual(o);
    });
  });
});
