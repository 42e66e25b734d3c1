import type { PanelModel } from '@grafana/data';
import { migrateLineageOptions } from './migrations';
import { DEFAULT_LINEAGE_OPTIONS } from './types';

const panel = (options: Record<string, unknown>, pluginVersion?: string): PanelModel =>
  ({ id: 1, options, fieldConfig: { defaults: {}, overrides: [] }, pluginVersion }) as unknown as PanelModel;

describe('lineage panel option migrations', () => {
  describe('new panel', () => {
    it('gets the defaults', () => {
      expect(migrateLineageOptions(panel({}))).toEqual(DEFAULT_LINEAGE_OPTIONS);
    });
  });

  describe('0.0.x preview', () => {
    it('renames showKpis to showSummary', () => {
      const o = migrateLineageOptions(panel({ showKpis: false }, '0.0.2'));
      expect(o.showSummary).toBe(false);
      expect(o).not.toHaveProperty('showKpis');
    });

    it('turns refresh "30s" into refreshSeconds 30', () => {
      expect(migrateLineageOptions(panel({ refresh: '30s' }, '0.0.2')).refreshSeconds).toBe(30);
    });
  });

  describe('0.1.x, before the node picker', () => {
    it('keeps its options and shows the sidecar the app talks to, as it did', () => {
      expect(migrateLineageOptions(panel({ showSummary: false, refreshSeconds: 5 }, '0.1.0'))).toEqual({
        node: '',
        showSummary: false,
        refreshSeconds: 5,
      });
    });
  });

  describe('with the node picker (current)', () => {
    it('keeps the chosen node', () => {
      const o = { node: '${node:csv}', showSummary: true, refreshSeconds: 15 };
      expect(migrateLineageOptions(panel(o, '0.1.0'))).toEqual(o);
    });

    it('shows the sidecar itself when the node is not text', () => {
      expect(migrateLineageOptions(panel({ node: 7 }, '0.1.0')).node).toBe('');
    });
  });
});
