import type { PanelModel } from '@grafana/data';
import { migrateFeedOptions } from './migrations';
import { DEFAULT_FEED_OPTIONS } from './types';

const panel = (options: Record<string, unknown>, pluginVersion?: string): PanelModel =>
  ({ id: 1, options, fieldConfig: { defaults: {}, overrides: [] }, pluginVersion }) as unknown as PanelModel;

describe('feed panel option migrations', () => {
  describe('new panel', () => {
    it('gets the defaults', () => {
      expect(migrateFeedOptions(panel({}))).toEqual(DEFAULT_FEED_OPTIONS);
    });
  });

  describe('0.0.x preview', () => {
    it('turns the single feed into a feeds list', () => {
      const o = migrateFeedOptions(panel({ feed: 'guardian' }, '0.0.4'));
      expect(o.feeds).toEqual(['guardian']);
      expect(o).not.toHaveProperty('feed');
    });

    it('renames severity to minSeverity and maps "warn"', () => {
      expect(migrateFeedOptions(panel({ severity: 'warn' }, '0.0.4')).minSeverity).toBe('warning');
    });
  });

  describe('0.1.x, before the node picker', () => {
    it('keeps valid options and drops unknown feeds and severities', () => {
      const o = migrateFeedOptions(
        panel({ feeds: ['scheduler', 'bogus'], minSeverity: 'loud', maxRows: 10, pollSeconds: 2 }, '0.1.0')
      );
      expect(o).toEqual({ node: '', feeds: ['scheduler'], minSeverity: 'info', maxRows: 10, pollSeconds: 2 });
    });
  });

  describe('with the node picker (current)', () => {
    it('keeps the chosen nodes, and shows the sidecar itself when the node is not text', () => {
      expect(migrateFeedOptions(panel({ node: '${node:csv}', feeds: ['guardian'] }, '0.1.0')).node).toBe('${node:csv}');
      expect(migrateFeedOptions(panel({ node: null }, '0.1.0')).node).toBe('');
    });
  });
});
