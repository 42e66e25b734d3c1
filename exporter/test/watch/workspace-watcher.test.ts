import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { waitFor } from '../helpers/wait';
import { SUBFOLDERS, type WatchFixture, startWatchFixture } from './watch-fixture';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const lineageDoc = (active: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    model: 'policy',
    owner: 'quant-team',
    generations: [
      {
        id: 'g1',
        parent: null,
        created_at: '2024-01-01T00:00:00Z',
        status: active === 'g1' ? 'active' : 'retired',
        kpis: { sharpe: 1.1 },
        artifacts: [],
      },
      {
        id: 'g2',
        parent: 'g1',
        created_at: '2024-02-01T00:00:00Z',
        status: active === 'g2' ? 'active' : 'canary',
        kpis: { sharpe: 1.4 },
        artifacts: [],
        ...extra,
      },
    ],
  });

describe('workspace watcher', () => {
  let fx: WatchFixture;
  afterEach(async () => {
    await fx?.close();
  });

  describe('classifiers', () => {
    beforeEach(async () => {
      fx = await startWatchFixture();
    });

    it('turns a task file into an activity.tasks event with the classic payload', async () => {
      fx.write(
        'activity/tasks/t1.json',
        JSON.stringify({ id: 't1', type: 'refactor', status: 'done', result: 'ok', trace_id: 'abc123' })
      );
      const [e] = await fx.waitForEvents('activity.tasks');
      expect(e!.data).toMatchObject({
        id: 't1',
        type: 'refactor',
        status: 'done',
        result: 'ok',
        file_path: 'activity/tasks/t1.json',
        trace_id: 'abc123',
      });
      expect(e!.trace_id).toBe('abc123');
      expect(typeof e!.data['timestamp']).toBe('string');
      expect(await fx.metric('lookout_watcher_events_total', { classifier: 'activity' })).toBe(1);

      fs.rmSync(path.join(fx.root, 'activity/tasks/t1.json'));
      const [removed] = await fx.waitForEvents('file.removed');
      expect(removed!.data).toMatchObject({ file_path: 'activity/tasks/t1.json', classifier: 'activity' });
    });

    it('turns an LLM log into activity.llm with the model taken from the file name', async () => {
      fx.write('activity/llm/claude-3-haiku_0001.json', JSON.stringify({ prompt: 'why?', response: 'because' }));
      const [e] = await fx.waitForEvents('activity.llm');
      expect(e!.data).toMatchObject({ model: 'claude-3-haiku', prompt: 'why?', response: 'because' });
    });

    it('reports a non-JSON activity file as file.changed with its size and hash', async () => {
      fx.write('activity/propagation/raw.log', 'hello\n');
      const [e] = await fx.waitForEvents('file.changed');
      expect(e!.data).toMatchObject({ size: 6, class: 'propagation' });
    });

    it('stores the lineage, records pointer moves, and keeps unknown fields', async () => {
      fx.write('lineage/lineage_index.json', lineageDoc('g1', { color: 'blue' }));
      await waitFor(() => fx.ctx.lineage.current().active === 'g1');
      const view = fx.ctx.lineage.current();
      expect(view.canary).toBe('g2');
      expect((view as unknown as Record<string, unknown>)['owner']).toBe('quant-team');
      expect(view.generations[1]!['color']).toBe('blue');
      expect(fx.events('lineage.updated')).toHaveLength(1);

      fx.write('lineage/lineage_index.json', lineageDoc('g2'));
      await waitFor(() => fx.ctx.lineage.current().active === 'g2');
      const moves = fx.events('lineage.pointer_moved').map((e) => e.data);
      expect(moves).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ pointer: 'active', generation: 'g2', previous: 'g1' }),
          expect.objectContaining({ pointer: 'canary', generation: null, previous: 'g2' }),
        ])
      );
      expect(fx.events('lineage.pointer_moved').find((e) => e.data['generation'] === null)?.severity).toBe('warning');
    });

    it('keeps the last good lineage when the file turns malformed, with lineage.invalid and a counter', async () => {
      fx.write('lineage/lineage_index.json', lineageDoc('g1'));
      await waitFor(() => fx.ctx.lineage.current().active === 'g1');
      fx.write(
        'lineage/lineage_index.json',
        JSON.stringify({ model: 'policy', generations: [{ id: 'g3', status: 'zombie' }] })
      );
      const [invalid] = await fx.waitForEvents('lineage.invalid');
      expect(invalid!.severity).toBe('warning');
      expect(invalid!.data).toMatchObject({
        reason: 'schema',
        issues: [expect.objectContaining({ path: 'generations.0.status' })],
      });
      expect(fx.ctx.lineage.current().active).toBe('g1');
      expect(fx.ctx.lineage.current().generations.map((g) => g.id)).toEqual(['g1', 'g2']);
      expect(await fx.metric('lookout_watcher_errors_total', { classifier: 'lineage', reason: 'schema' })).toBe(1);
    });

    it('treats truncated JSON as a parse error and recovers when the file is complete', async () => {
      fx.write('lineage/lineage_index.json', lineageDoc('g1'));
      await waitFor(() => fx.ctx.lineage.current().active === 'g1');
      fx.write('lineage/lineage_index.json', lineageDoc('g2').slice(0, 57));
      await waitFor(() => fx.events('lineage.invalid').length);
      expect(fx.events('lineage.invalid')[0]!.data['reason']).toBe('parse');
      expect(fx.ctx.lineage.current().active).toBe('g1');
      expect(await fx.metric('lookout_watcher_errors_total', { classifier: 'lineage', reason: 'parse' })).toBe(1);
      fx.write('lineage/lineage_index.json', lineageDoc('g2'));
      await waitFor(() => fx.ctx.lineage.current().active === 'g2');
    });

    it('serves a calibration image with its metadata, and removes it when the file goes', async () => {
      fx.write(
        'calibration/g1/reliability.json',
        JSON.stringify({ title: 'Reliability', metric: 'ece', created_at: '2024-03-01T00:00:00Z' })
      );
      fx.write('calibration/g1/reliability.png', PNG);
      const a = await waitFor(() => fx.ctx.artifacts.getByPath('calibration/g1/reliability.png'));
      expect(a).toMatchObject({
        kind: 'calibration',
        generation: 'g1',
        name: 'reliability',
        content_type: 'image/png',
        size: PNG.length,
      });
      expect(a.meta).toMatchObject({ title: 'Reliability', metric: 'ece' });
      expect(fx.events('artifact.added')[0]!.data).toMatchObject({ id: a.id });

      fx.write('calibration/g1/reliability.json', JSON.stringify({ title: 'Reliability v2' }));
      await waitFor(() => fx.ctx.artifacts.get(a.id)?.meta['title'] === 'Reliability v2');

      fs.rmSync(path.join(fx.root, 'calibration/g1/reliability.png'));
      await waitFor(() => !fx.ctx.artifacts.get(a.id));
      expect(fx.events('artifact.removed')[0]!.data).toMatchObject({ id: a.id });
    });

    it('refuses a .png that is not a PNG: error event and counter, not served', async () => {
      fx.write('calibration/g1/fake.png', 'GIF89a pretending');
      const [e] = await fx.waitForEvents('artifact.invalid');
      expect(e!.data).toMatchObject({ file_path: 'calibration/g1/fake.png', expected: 'image/png' });
      expect(fx.ctx.artifacts.getByPath('calibration/g1/fake.png')).toBeUndefined();
      expect(await fx.metric('lookout_watcher_errors_total', { classifier: 'calibration', reason: 'parse' })).toBe(1);
    });

    it('ingests telemetry snapshots and reports invalid ones', async () => {
      fx.write(
        'telemetry/snap-1.json',
        JSON.stringify({ ts: '2024-05-01T00:00:00Z', metrics: { drift_score: 0.42 }, labels: { model: 'policy' } })
      );
      await waitFor(() => fx.ctx.telemetry.latest()['drift_score']?.value === 0.42);
      expect(await fx.metric('lookout_workload_drift_score')).toBe(0.42);
      fx.write('telemetry/snap-2.json', Buffer.from([0x00, 0x01, 0x02]));
      const [e] = await fx.waitForEvents('telemetry.invalid');
      expect(e!.data['reason']).toBe('binary');
      expect(await fx.metric('lookout_watcher_errors_total', { classifier: 'telemetry', reason: 'binary' })).toBe(1);
      expect(await fx.metric('lookout_watcher_files', { classifier: 'telemetry' })).toBe(2);
    });

    it('reports itself in status and readiness', async () => {
      await waitFor(() => fx.ctx.status.ready().checks['watcher']?.ok);
      const section = fx.ctx.status.snapshot()['watcher'] as Record<string, unknown>;
      expect(section).toMatchObject({ root: fx.root, present: true });
      expect(section['last_reconcile']).toMatchObject({ root_present: true });
      expect(await fx.metric('lookout_watcher_root_present')).toBe(1);
    });
  });

  describe('hostile files', () => {
    it('skips a 50 MB activity file without reading it and still ingests the small file written right after', async () => {
      fx = await startWatchFixture({ watch: { max_file_bytes: 1024 * 1024 } });
      const big = fs.openSync(path.join(fx.root, 'activity/huge.bin'), 'w');
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      for (let i = 0; i < 50; i++) fs.writeSync(big, chunk);
      fs.closeSync(big);
      fx.write('activity/tasks/small.json', JSON.stringify({ id: 's', type: 'test', status: 'done' }));
      await waitFor(() => fx.events('activity.tasks').length);
      const [skipped] = await fx.waitForEvents('file.skipped');
      expect(skipped!.data).toMatchObject({
        file_path: 'activity/huge.bin',
        reason: 'too_large',
        size: 50 * 1024 * 1024,
      });
      expect(
        await fx.metric('lookout_watcher_errors_total', { classifier: 'activity', reason: 'too_large' })
      ).toBeGreaterThanOrEqual(1);
      // Reconciliation does not re-report an unchanged oversized file.
      const before = fx.events('file.skipped').length;
      await fx.watcher.reconcileNow();
      expect(fx.events('file.skipped')).toHaveLength(before);
    });

    const isRoot = process.getuid?.() === 0;
    it('reports an unreadable file as file.error (permission) and ingests it once readable', async () => {
      // As root, chmod 000 does not deny reads. The watcher then runs with an unprivileged
      // effective uid (seteuid applies to every thread, libuv's pool included) so the denial is
      // the kernel's own; the store's descriptors were opened before and stay writable.
      const dropPrivileges = isRoot && typeof process.seteuid === 'function';
      if (isRoot && !dropPrivileges) return;
      fx = await startWatchFixture();
      try {
        await fx.restart({
          beforeStart: () => {
            fx.write('activity/tasks/secret.json', JSON.stringify({ id: 'x', type: 'test', status: 'done' }));
            if (dropPrivileges) {
              fs.chmodSync(fx.dir, 0o755);
              execFileSync('chmod', ['-R', 'a+rX', fx.root]);
            }
            fs.chmodSync(path.join(fx.root, 'activity/tasks/secret.json'), 0o000);
          },
          // Only the watcher runs unprivileged: the store is opened (as root) before.
          beforeWatcherStart: () => {
            if (dropPrivileges) process.seteuid!(65534);
          },
        });
        const [e] = await fx.waitForEvents('file.error');
        expect(e!.data).toMatchObject({
          file_path: 'activity/tasks/secret.json',
          reason: 'permission',
          code: 'EACCES',
        });
        expect(await fx.metric('lookout_watcher_errors_total', { classifier: 'activity', reason: 'permission' })).toBe(
          1
        );
        // Retried on reconcile, but reported once.
        await fx.watcher.reconcileNow();
        expect(fx.events('file.error')).toHaveLength(1);
      } finally {
        if (dropPrivileges) process.seteuid!(0);
      }
      fs.chmodSync(path.join(fx.root, 'activity/tasks/secret.json'), 0o644);
      await fx.watcher.reconcileNow();
      await waitFor(() => fx.events('activity.tasks').length);
    });

    it('reports a FIFO where a file is expected, without blocking on it', async () => {
      fx = await startWatchFixture();
      execFileSync('mkfifo', [path.join(fx.root, 'telemetry/pipe.json')]);
      fx.write('telemetry/after.json', JSON.stringify({ metrics: { state_active: 1 } }));
      await waitFor(() => fx.ctx.telemetry.latest()['state_active']);
      await fx.watcher.reconcileNow();
      const [e] = await fx.waitForEvents('file.error');
      expect(e!.data).toMatchObject({ file_path: 'telemetry/pipe.json', reason: 'io', code: 'ENOTREG' });
    });

    it('does not hang on symlink loops', async () => {
      fx = await startWatchFixture();
      fs.symlinkSync(fx.root, path.join(fx.root, 'activity/loop'));
      fs.symlinkSync(path.join(fx.root, 'activity/b'), path.join(fx.root, 'activity/a'));
      fs.symlinkSync(path.join(fx.root, 'activity/a'), path.join(fx.root, 'activity/b'));
      const r = await fx.watcher.reconcileNow();
      expect(r.scanned).toBeLessThan(10);
      fx.write('activity/tasks/after-loop.json', JSON.stringify({ id: 'l', type: 'test', status: 'done' }));
      await waitFor(() => fx.events('activity.tasks').length);
      // The a ↔ b loop is a broken link: reported once, not on every scan.
      await fx.watcher.reconcileNow();
      expect(fx.events('file.error').filter((e) => e.data['code'] === 'ELOOP').length).toBeLessThanOrEqual(2);
    });
  });

  describe('root and restarts', () => {
    it('reports a deleted root as missing and keeps ingesting once it is re-created', async () => {
      fx = await startWatchFixture({}, { rootProbeMs: 50 });
      fx.write('activity/tasks/one.json', JSON.stringify({ id: '1', type: 'test', status: 'done' }));
      await waitFor(() => fx.events('activity.tasks').length === 1);

      fs.rmSync(fx.root, { recursive: true, force: true });
      await waitFor(() => fx.ctx.status.ready().checks['watcher']?.ok === false);
      expect(fx.ctx.status.ready().checks['watcher']?.detail).toMatch(/missing/);
      expect(await fx.metric('lookout_watcher_root_present')).toBe(0);
      await waitFor(() => fx.events('watcher.root_missing').length);

      for (const f of SUBFOLDERS) fs.mkdirSync(path.join(fx.root, f), { recursive: true });
      await waitFor(() => fx.ctx.status.ready().checks['watcher']?.ok);
      fx.write('activity/tasks/two.json', JSON.stringify({ id: '2', type: 'test', status: 'done' }));
      await waitFor(() => fx.events('activity.tasks').some((e) => e.data['id'] === '2'));
      expect(await fx.metric('lookout_watcher_root_present')).toBe(1);
      // The first file went away with the old root: the reconciliation after re-arming says so.
      await waitFor(() => fx.events('file.removed').some((e) => e.data['file_path'] === 'activity/tasks/one.json'));
    });

    it('starts with a missing root and picks it up when it appears', async () => {
      fx = await startWatchFixture({}, { rootProbeMs: 50, createRoot: false });
      expect(fx.ctx.status.ready().checks['watcher']).toMatchObject({ ok: false });
      fx.write('activity/tasks/late.json', JSON.stringify({ id: 'late', type: 'test', status: 'done' }));
      await waitFor(() => fx.events('activity.tasks').length === 1);
    });

    it('recovers a file written while the watcher was stopped, counted as recovered', async () => {
      fx = await startWatchFixture();
      await fx.restart({
        beforeStart: () =>
          fx.write('activity/tasks/offline.json', JSON.stringify({ id: 'off', type: 'process', status: 'done' })),
      });
      const r = await fx.watcher.reconcileNow();
      await waitFor(() => fx.events('activity.tasks').length === 1);
      expect(r.scanned).toBe(1);
      expect(await fx.metric('lookout_watcher_recovered_total', { classifier: 'activity' })).toBe(1);
      expect(await fx.metric('lookout_watcher_reconcile_runs_total')).toBeGreaterThanOrEqual(1);
      // A second scan finds nothing new.
      expect((await fx.watcher.reconcileNow()).recovered).toBe(0);
      expect(fx.events('activity.tasks')).toHaveLength(1);
    });
  });
});
