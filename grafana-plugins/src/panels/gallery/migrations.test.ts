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

  describe('0.1.x, before the node picker', () => {
    it('keeps its options and shows the sidecar the app talks to, as it did', () => {
      const o = { generation: 'g2', kind: 'pnl', pageSize: 10, tileWidth: 120 };
      expect(migrateGalleryOptions(panel(o, '0.1.0'))).toEqual({ ...o, node: '' });
    });
  });

  describe('with the node picker (current)', () => {
    it('keeps current options', () => {
      const o = { node: 'trader-1', generation: 'g2', kind: 'pnl', pageSize: 10, tileWidth: 120 };
      expect(migrateGalleryOptions(panel(o, '0.1.0'))).toEqual(o);
    });
  });
});
