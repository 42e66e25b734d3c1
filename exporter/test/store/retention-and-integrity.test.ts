import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import { buildContext } from '../../src/main';
import { createLogger } from '../../src/log/logger';
import { RetentionPart } from '../../src/store/retention';
import { HeartbeatPart } from '../../src/events/heartbeat';
import { StoreIntegrityError } from '../../src/store/database';
import { makeWorkspace, tempDir } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';

function context(dataDir: string, store: Record<string, number> = {}, heartbeatMs = 10_000) {
  const config = loadConfig({
    env: {},
    overrides: {
      data_dir: dataDir,
      node: 'retention-node',
      heartbeat_interval_ms: heartbeatMs,
      watch: { root: makeWorkspace() },
      store,
    },
  });
  return buildContext(config, { logger: createLogger('silent') });
}

describe('retention', () => {
  it('deletes events older than the maximum age, then the oldest beyond the maximum count, and counts them', async () => {
    const ctx = context(tempDir('data'), { retention_max_age_days: 1, retention_max_events: 100 });
    try {
      const now = Date.parse('2026-11-21T12:00:00Z');
      const old = new Date(now - 2 * 86_400_000).toISOString();
      const recent = new Date(now - 3_600_000).toISOString();
      ctx.events.appendMany(
        Array.from({ length: 30 }, (_, i) => ({ source: 'api' as const, kind: 'old', subject: `o${i}`, ts: old }))
      );
      const kept = ctx.events.appendMany(
        Array.from({ length: 150 }, (_, i) => ({
          source: 'api' as const,
          kind: 'recent',
          subject: `r${i}`,
          ts: recent,
        }))
      );
      const deleted = new RetentionPart(ctx).runOnce(now);
      expect(deleted).toBe(80);
      const left = ctx.events.query({ limit: 1000 });
      expect(left).toHaveLength(100);
      expect(left.every((e) => e.kind === 'recent')).toBe(true);
      // The newest 100 stay: count retention removes from the oldest end.
      expect(left.map((e) => e.id).sort()).toEqual(
        kept
          .slice(50)
          .map((e) => e.id)
          .sort()
      );
      const metrics = await ctx.metrics.render(undefined);
      expect(metrics.body).toMatch(/lookout_store_retention_deleted_total\{[^}]*\} 80/);
    } finally {
      ctx.db.close();
    }
  });
});

describe('heartbeat', () => {
  it('records a heartbeat event with the node status at every interval', async () => {
    const ctx = context(tempDir('data'), {}, 100);
    const hb = new HeartbeatPart(ctx);
    try {
      hb.start();
      const beats = await waitFor(() => {
        const rows = ctx.events.query({ sources: ['heartbeat'], limit: 10 });
        return rows.length >= 3 ? rows : null;
      });
      expect(beats[0]).toMatchObject({ kind: 'heartbeat', subject: 'retention-node', node: 'retention-node' });
      expect(beats[0]!.data).toEqual(
        expect.objectContaining({ version: expect.any(String), uptime_s: expect.any(Number) })
      );
    } finally {
      hb.stop();
      ctx.db.close();
    }
  });
});

describe('integrity check at start-up', () => {
  it('refuses to start on a damaged database file instead of serving from it', () => {
    const dataDir = tempDir('data');
    const ctx = context(dataDir);
    ctx.events.appendMany(
      Array.from({ length: 2000 }, (_, i) => ({
        source: 'api' as const,
        kind: 'fill',
        subject: `s${i}`,
        data: { pad: 'x'.repeat(200) },
      }))
    );
    ctx.db.pragma('wal_checkpoint(TRUNCATE)');
    ctx.db.close();
    const file = path.join(dataDir, 'lookout.sqlite');
    // Overwrite pages in the middle of the file (past the header and schema) with garbage.
    const fd = fs.openSync(file, 'r+');
    const size = fs.fstatSync(fd).size;
    fs.writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, Math.floor(size / 2 / 4096) * 4096);
    fs.closeSync(fd);
    let err: unknown;
    try {
      context(dataDir).db.close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeDefined();
    // Either our check names the findings or SQLite refuses the damaged pages outright.
    expect(err instanceof StoreIntegrityError || /malformed|corrupt/i.test(String((err as Error).message))).toBe(true);
  });
});
