import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import type { ConfigInput } from '../../src/config/config-schema';
import { buildContext } from '../../src/main';
import type { SidecarContext } from '../../src/context';
import { createLogger } from '../../src/log/logger';
import { WorkspaceWatcher, type WorkspaceWatcherOptions } from '../../src/watch/workspace-watcher';
import type { StoredEvent } from '../../src/store/events-repository';
import { waitFor } from '../helpers/wait';
import { SEVERITIES } from '../../src/events/event';

export interface WatchFixture {
  dir: string;
  root: string;
  dataDir: string;
  ctx: SidecarContext;
  watcher: WorkspaceWatcher;
  write(rel: string, content: string | Buffer): void;
  events(kind?: string): StoredEvent[];
  /** Waits until at least `min` watcher events of this kind are stored, and returns them. */
  waitForEvents(kind: string, min?: number): Promise<StoredEvent[]>;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Stops the watcher and closes the store, then opens both again on the same folders (a restart). */
  restart(opts?: { beforeStart?: () => void | Promise<void>; beforeWatcherStart?: () => void }): Promise<void>;
  close(): Promise<void>;
}

export const SUBFOLDERS = ['activity', 'lineage', 'calibration', 'telemetry'];

/** A real temp workspace and data folder, a real SQLite store, a started watcher. */
export async function startWatchFixture(
  overrides: { watch?: ConfigInput['watch'] } = {},
  opts: WorkspaceWatcherOptions & { createRoot?: boolean } = {}
): Promise<WatchFixture> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'lookout-watch-'));
  const root = path.join(dir, 'workspace');
  const dataDir = path.join(dir, 'data');
  if (opts.createRoot !== false) for (const f of SUBFOLDERS) fs.mkdirSync(path.join(root, f), { recursive: true });
  const config = loadConfig({
    env: {},
    overrides: {
      data_dir: dataDir,
      node: 'test',
      log_level: 'silent',
      watch: { root, debounce_ms: 10, reconcile_interval_ms: 60_000, ...overrides.watch },
    },
  });
  const make = (): { ctx: SidecarContext; watcher: WorkspaceWatcher } => {
    const ctx = buildContext(config, { logger: createLogger('silent') });
    return { ctx, watcher: new WorkspaceWatcher(ctx, opts) };
  };
  let cur = make();
  await cur.watcher.start();
  const fx: WatchFixture = {
    dir,
    root,
    dataDir,
    get ctx() {
      return cur.ctx;
    },
    get watcher() {
      return cur.watcher;
    },
    write(rel, content) {
      const abs = path.join(root, rel);
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      fs.writeFileSync(abs, content);
    },
    events(kind) {
      const rows = cur.ctx.db
        .prepare(`SELECT * FROM events WHERE source = 'watcher' ${kind ? 'AND kind = ?' : ''} ORDER BY seq`)
        .all(...(kind ? [kind] : [])) as (Omit<StoredEvent, 'data'> & { data: string })[];
      return rows.map((r) => ({
        ...r,
        severity: SEVERITIES[r.severity as unknown as number],
        data: JSON.parse(r.data) as Record<string, unknown>,
      })) as StoredEvent[];
    },
    async waitForEvents(kind, min = 1) {
      await waitFor(() => fx.events(kind).length >= min);
      return fx.events(kind);
    },
    async metric(name, labels = {}) {
      const body = await cur.ctx.metrics.prometheus.getSingleMetricAsString(name);
      let total = 0;
      for (const line of body.split('\n')) {
        if (line.startsWith('#') || !line.trim()) continue;
        const m = /^(\w+)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const lbls = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
        if (Object.entries(labels).every(([k, v]) => lbls[k] === v)) total += Number(m[3]);
      }
      return total;
    },
    async restart(o = {}) {
      await cur.watcher.stop();
      cur.ctx.db.close();
      await o.beforeStart?.();
      cur = make();
      o.beforeWatcherStart?.();
      await cur.watcher.start();
    },
    async close() {
      await cur.watcher.stop();
      if (cur.ctx.db.open) cur.ctx.db.close();
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
  return fx;
}
