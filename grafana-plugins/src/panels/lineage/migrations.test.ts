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

  describe('0.1.x (current)', () => {
    it('keeps current options', () => {
      expect(migrateLineageOptions(panel({ showSummary: false, refreshSeconds: 5 }, '0.1.0'))).toEqual({
        showSummary: false,
        refreshSeconds: 5,
      });
    });
  });
});
