import fs from 'node:fs';
import path from 'node:path';
import { type ChildSidecar, sampleValue, startChildSidecar } from '../helpers/child-sidecar';
import { fileEventProblems, readFeed } from '../helpers/events-api';
import { type Ext4Mount, type Mount, fillDisk, mountExt4, mountSupport, mountTmpfs } from '../helpers/mounts';
import { makeWorkspace } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';
import type { ConfigInput } from '../../src/config/config-schema';

/**
 * The store's data folder on a real filesystem that fails: a tmpfs that fills up, and an ext4 image
 * that turns read-only as a failing disk does (errors=remount-ro). The sidecar is the real process
 * (the built CLI); the workload writes real files into its workspace.
 */

const MiB = 1024 * 1024;

/** Writes `n` activity files (`pad` bytes of payload each) and records their workspace paths. */
function writeTasks(workspace: string, written: string[], prefix: string, n: number, pad: number): void {
  fs.mkdirSync(path.join(workspace, 'activity/tasks'), { recursive: true });
  for (let i = 0; i < n; i++) {
    const rel = `activity/tasks/${prefix}-${i}.json`;
    const body = JSON.stringify({ id: `${prefix}-${i}`, type: 'process', status: 'done', result: 'x'.repeat(pad) });
    fs.writeFileSync(path.join(workspace, `${rel}.tmp`), body);
    fs.renameSync(path.join(workspace, `${rel}.tmp`), path.join(workspace, rel));
    written.push(rel);
  }
}

/** Waits until every file written is exactly one event (what the API serves), and returns the feed. */
async function allIngested(side: ChildSidecar, written: string[], timeoutMs = 60_000): Promise<string[]> {
  let last: string[] = [];
  await waitFor(
    async () => {
      last = fileEventProblems(await readFeed((m, r) => side.call(m, r, { as: 'viewer' }), 'activity'), written);
      return last.length === 0;
    },
    timeoutMs,
    200
  ).catch((err: Error) => {
    throw new Error(`${err.message}\nfirst problems: ${last.slice(0, 5).join('; ')}`);
  });
  return (await readFeed((m, r) => side.call(m, r, { as: 'viewer' }), 'all')).map((e) => e.id);
}

async function metrics(side: ChildSidecar): Promise<string> {
  return String((await side.call('GET', '/metrics', { as: 'viewer' })).body);
}

/** Readiness turned false because of the store, with the reason in its detail. */
async function notReadyBecause(side: ChildSidecar, words: string): Promise<string> {
  return waitFor(
    async () => {
      const r = await side.call('GET', '/readyz', { as: 'viewer' });
      const detail = (r.body as { checks?: { store?: { detail?: string } } }).checks?.store?.detail ?? '';
      return r.status === 503 && detail.includes(words) ? detail : null;
    },
    30_000,
    100
  );
}

/** A control call while the store cannot write: a clear 503, never a 500. */
async function expectControlRefused(side: ChildSidecar, reason: string): Promise<void> {
  const r = await side.call('POST', '/api/v1/actions/kill/plan', { as: 'operator', body: {} });
  expect(r.status).toBe(503);
  expect(r.body).toMatchObject({ error: { code: 'store_unavailable', details: { reason } } });
  expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
}

function config(
  dataDir: string,
  workspace: string,
  store: ConfigInput['store'] = {}
): ConfigInput & { data_dir: string } {
  return {
    data_dir: dataDir,
    node: 'fault-node',
    heartbeat_interval_ms: 200,
    watch: { root: workspace, debounce_ms: 10, reconcile_interval_ms: 60_000 },
    store: { check_interval_ms: 100, ...store },
  };
}

const tmpfs = mountSupport('tmpfs');
if (!tmpfs.ok) console.warn(`full-disk test skipped: ${tmpfs.why}`);

(tmpfs.ok ? describe : describe.skip)('a full disk under the data folder', () => {
  let disk: Mount | null = null;
  let side: ChildSidecar | null = null;
  afterEach(async () => {
    await side?.kill();
    side = null;
    await disk?.dispose();
    disk = null;
  });

  it('pauses ingestion, says why, refuses control with 503, stays up, and catches up once space returns', async () => {
    disk = mountTmpfs(24 * MiB);
    const workspace = makeWorkspace();
    side = await startChildSidecar(config(path.join(disk.dir, 'data'), workspace, { resume_free_bytes: 4 * MiB }));
    const { pid } = side;
    const written: string[] = [];
    writeTasks(workspace, written, 'before', 200, 100);
    const acknowledged = await allIngested(side, written);

    fillDisk(path.join(disk.dir, 'filler'));
    // Far more than the WAL's slack: these commits need new space.
    writeTasks(workspace, written, 'during', 300, 4096);

    const detail = await notReadyBecause(side, 'disk full');
    expect(detail).toMatch(/SQLITE_FULL|ENOSPC|SQLITE_IOERR/);
    expect(detail).toContain('ingestion paused');
    const text = await metrics(side);
    expect(sampleValue(text, 'lookout_store_write_errors_total', { reason: 'disk_full' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'lookout_store_unwritable', { reason: 'disk_full' })).toBe(1);
    expect(side.logs().filter((l) => l['level'] === 50 && String(l['msg']).startsWith('store writes failing'))).toEqual(
      [expect.objectContaining({ reason: 'disk_full' })]
    );
    await expectControlRefused(side, 'disk_full');
    expect((await side.call('GET', '/healthz', { as: null })).status).toBe(200);
    // The workload's files are untouched: they wait on disk for the scan.
    expect(written.filter((rel) => !fs.existsSync(path.join(workspace, rel)))).toEqual([]);

    fs.rmSync(path.join(disk.dir, 'filler'));
    await waitFor(async () => (await side!.call('GET', '/readyz', { as: 'viewer' })).status === 200, 30_000, 100);
    const after = new Set(await allIngested(side, written));
    expect(acknowledged.filter((id) => !after.has(id))).toEqual([]);
    // The same process all along: no crash, no restart.
    expect(side.alive()).toBe(true);
    expect(side.pid).toBe(pid);
    const outage = await readFeed((m, r) => side!.call(m, r, { as: 'viewer' }), 'all', 'kind=store.writes_failed');
    expect(outage).toEqual([
      expect.objectContaining({ severity: 'critical', data: expect.objectContaining({ reason: 'disk_full' }) }),
    ]);
    expect(sampleValue(await metrics(side), 'lookout_store_unwritable', { reason: 'disk_full' })).toBe(0);
    const plan = await side.call('POST', '/api/v1/actions/kill/plan', { as: 'operator', body: {} });
    expect(plan.status).toBe(200);
  }, 120_000);

  it('started on a full disk, waits for space instead of exiting, then starts and catches up', async () => {
    disk = mountTmpfs(24 * MiB);
    const workspace = makeWorkspace();
    const cfg = config(path.join(disk.dir, 'data'), workspace, { resume_free_bytes: 4 * MiB });
    side = await startChildSidecar(cfg);
    const written: string[] = [];
    writeTasks(workspace, written, 'before', 50, 100);
    await allIngested(side, written);
    await side.stop();

    const filler = path.join(disk.dir, 'filler');
    fillDisk(filler);
    writeTasks(workspace, written, 'while-down', 200, 1000);
    side = await startChildSidecar(cfg, {
      async whileStarting(p) {
        await waitFor(() => p.output().includes('cannot open the store'), 30_000);
        // Waiting, not exiting: a supervisor has no restart loop to run.
        expect(p.alive()).toBe(true);
        fs.rmSync(filler);
      },
    });
    await allIngested(side, written);
    expect((await side.call('GET', '/readyz', { as: 'viewer' })).status).toBe(200);
  }, 120_000);
});

const ext4 = mountSupport('ext4');
if (!ext4.ok) console.warn(`read-only data folder test skipped: ${ext4.why}`);

(ext4.ok ? describe : describe.skip)('a data folder that turns read-only', () => {
  let disk: Ext4Mount | null = null;
  let side: ChildSidecar | null = null;
  afterEach(async () => {
    await side?.kill();
    side = null;
    await disk?.dispose();
    disk = null;
  });

  it('pauses ingestion, refuses control with 503, stops cleanly, and after repair catches up with nothing lost', async () => {
    disk = mountExt4(64 * MiB);
    const workspace = makeWorkspace();
    // FULL: every acknowledged commit is on the disk before the filesystem fails (see docs/operations.md).
    const cfg = config(path.join(disk.dir, 'data'), workspace, { synchronous: 'FULL' });
    side = await startChildSidecar(cfg);
    const written: string[] = [];
    writeTasks(workspace, written, 'before', 200, 100);
    const acknowledged = await allIngested(side, written);

    disk.turnReadOnly();
    writeTasks(workspace, written, 'during', 200, 100);

    const detail = await notReadyBecause(side, 'read-only');
    expect(detail).toContain('ingestion paused');
    const text = await metrics(side);
    expect(sampleValue(text, 'lookout_store_write_errors_total', { reason: 'read_only' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'lookout_store_unwritable', { reason: 'read_only' })).toBe(1);
    expect(side.logs().filter((l) => l['level'] === 50 && String(l['msg']).startsWith('store writes failing'))).toEqual(
      [expect.objectContaining({ reason: 'read_only' })]
    );
    await expectControlRefused(side, 'read_only');
    expect((await side.call('GET', '/healthz', { as: null })).status).toBe(200);
    expect(side.alive()).toBe(true);

    // An ext4 that aborted its journal stays read-only until repaired: stop, e2fsck, mount, start.
    expect(await side.stop()).toEqual({ code: 0, signal: null });
    await disk.repairAndRemount();
    side = await startChildSidecar(cfg);
    const after = new Set(await allIngested(side, written));
    expect(acknowledged.filter((id) => !after.has(id))).toEqual([]);
    expect((await side.call('GET', '/readyz', { as: 'viewer' })).status).toBe(200);
  }, 120_000);
});
