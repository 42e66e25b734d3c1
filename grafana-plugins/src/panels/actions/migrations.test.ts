import type { PanelModel } from '@grafana/data';
import { migrateActionsOptions } from './migrations';
import { DEFAULT_ACTIONS_OPTIONS } from './types';

const panel = (options: Record<string, unknown>, pluginVersion?: string): PanelModel =>
  ({ id: 1, options, fieldConfig: { defaults: {}, overrides: [] }, pluginVersion }) as unknown as PanelModel;

describe('actions panel option migrations', () => {
  describe('new panel', () => {
    it('gets the defaults', () => {
      expect(migrateActionsOptions(panel({}))).toEqual(DEFAULT_ACTIONS_OPTIONS);
    });
  });

  describe('0.0.x preview', () => {
    it('turns the comma-separated `actions` string into the `buttons` list', () => {
      const o = migrateActionsOptions(panel({ actions: 'kill, retrain,,rollback' }, '0.0.3'));
      expect(o.buttons).toEqual(['kill', 'retrain', 'rollback']);
      expect(o).not.toHaveProperty('actions');
    });

    it('turns the `refresh` duration into seconds', () => {
      expect(migrateActionsOptions(panel({ refresh: '15s' }, '0.0.3')).refreshSeconds).toBe(15);
    });

    it('keeps a `buttons` list that is already there', () => {
      expect(migrateActionsOptions(panel({ actions: 'kill', buttons: ['retrain'] }, '0.0.3')).buttons).toEqual([
        'retrain',
      ]);
    });
  });

  describe('0.1.x, before the node picker and the fleet buttons', () => {
    it('keeps its options, acts on the sidecar the app talks to and shows the fleet buttons on a hub', () => {
      const before = { buttons: ['kill'], customActions: 'drain', refreshSeconds: 2 };
      expect(migrateActionsOptions(panel(before, '0.1.0'))).toEqual({ ...before, node: '', showFleet: true });
    });
  });

  describe('with the node picker and the fleet buttons (current)', () => {
    it('leaves current options as they are', () => {
      const current = {
        node: '${node:csv}',
        buttons: ['kill'],
        customActions: 'drain',
        refreshSeconds: 2,
        showFleet: false,
      };
      expect(migrateActionsOptions(panel(current, '0.1.0'))).toEqual(current);
    });
  });
});
