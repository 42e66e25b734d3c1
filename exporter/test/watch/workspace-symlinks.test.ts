import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type WatchFixture, startWatchFixture } from './watch-fixture';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

/**
 * A workspace file that resolves outside the watch root — a symlink, or a file under a symlinked
 * folder — is never read, hashed, listed or served: it is recorded as skipped, with one error event
 * and one count, like any other refused file.
 */
describe('symbolic links out of the workspace', () => {
  let fx: WatchFixture;
  let outside: string;
  beforeEach(async () => {
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-outside-'));
    fs.writeFileSync(path.join(outside, 'secret.png'), PNG);
    fs.writeFileSync(path.join(outside, 'secret.json'), JSON.stringify({ id: 'leak', type: 'test', status: 'done' }));
    fs.mkdirSync(path.join(outside, 'telemetry'));
    fs.writeFileSync(path.join(outside, 'telemetry/snapshot.json'), JSON.stringify({ metrics: { drift_score: 0.9 } }));
    fs.mkdirSync(path.join(outside, 'gallery'));
    fs.writeFileSync(path.join(outside, 'gallery/plot.png'), PNG);
    fx = await startWatchFixture();
  });
  afterEach(async () => {
    await fx?.close();
    fs.rmSync(outside, { recursive: true, force: true });
  });

  const link = (target: string, rel: string): void => {
    const abs = path.join(fx.root, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.symlinkSync(target, abs);
  };
  const skipped = () => fx.events('file.skipped').filter((e) => e.data['reason'] === 'outside_root');

  test('a symlinked image is skipped with an event and a counter, and never listed', async () => {
    fx.write('calibration/g1/inside.png', PNG);
    link(path.join(outside, 'secret.png'), 'calibration/g1/leak.png');
    const [e] = await fx.waitForEvents('file.skipped');
    expect(e!.data).toEqual({
      file_path: 'calibration/g1/leak.png',
      classifier: 'calibration',
      reason: 'outside_root',
      message: expect.any(String),
    });
    // The event does not say where the link points.
    expect(JSON.stringify(e!.data)).not.toContain(outside);
    await fx.waitForEvents('artifact.added');
    await fx.watcher.reconcileNow();
    expect(fx.ctx.artifacts.list({ kind: 'calibration', limit: 100 }).map((a) => a.rel_path)).toEqual([
      'calibration/g1/inside.png',
    ]);
    expect(await fx.metric('lookout_watcher_errors_total', { classifier: 'calibration', reason: 'outside_root' })).toBe(
      1
    );
    // Once, not once per scan.
    expect(skipped()).toHaveLength(1);
  });

  test('a symlinked activity file produces no activity event', async () => {
    link(path.join(outside, 'secret.json'), 'activity/tasks/leak.json');
    fx.write('activity/tasks/real.json', JSON.stringify({ id: 'real', type: 'test', status: 'done' }));
    await fx.waitForEvents('file.skipped');
    await fx.waitForEvents('activity.tasks');
    await fx.watcher.reconcileNow();
    expect(fx.events('activity.tasks').map((e) => e.data['id'])).toEqual(['real']);
    expect(skipped().map((e) => e.data['file_path'])).toEqual(['activity/tasks/leak.json']);
  });

  test('a workspace folder that is a symlink out of the root is not ingested either', async () => {
    await fx.restart({
      beforeStart: () => {
        fs.rmSync(path.join(fx.root, 'telemetry'), { recursive: true });
        fs.symlinkSync(path.join(outside, 'telemetry'), path.join(fx.root, 'telemetry'));
      },
    });
    await fx.watcher.reconcileNow();
    expect(skipped().map((e) => e.data['file_path'])).toEqual(['telemetry/snapshot.json']);
    expect(fx.events('telemetry.received')).toEqual([]);
    expect(fx.ctx.metrics.registeredNames()).not.toContain('lookout_workload_drift_score');
  });

  test('a symlinked sub-folder is not followed', async () => {
    link(path.join(outside, 'gallery'), 'calibration/g2');
    fx.write('calibration/g1/inside.png', PNG);
    await fx.waitForEvents('artifact.added');
    await fx.watcher.reconcileNow();
    expect(fx.ctx.artifacts.list({ kind: 'calibration', limit: 100 }).map((a) => a.rel_path)).toEqual([
      'calibration/g1/inside.png',
    ]);
  });

  test('a symlink that stays inside the root is ingested like the file it names', async () => {
    fx.write('calibration/g1/inside.png', PNG);
    link('inside.png', 'calibration/g1/alias.png');
    await fx.waitForEvents('artifact.added', 2);
    expect(
      fx.ctx.artifacts
        .list({ kind: 'calibration', limit: 100 })
        .map((a) => a.rel_path)
        .sort()
    ).toEqual(['calibration/g1/alias.png', 'calibration/g1/inside.png']);
    expect(skipped()).toEqual([]);
  });
});
