import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from '../helpers/wait';
import { type WatchFixture, startWatchFixture } from './watch-fixture';

const FILES = 50_000;

describe('workspace watcher under a burst', () => {
  let fx: WatchFixture;
  afterEach(async () => {
    await fx?.close();
  });

  it('turns every one of 50,000 files written in one burst into exactly one event', async () => {
    fx = await startWatchFixture();
    const dir = path.join(fx.root, 'activity', 'burst');
    fs.mkdirSync(dir);
    const body = (i: number): string => JSON.stringify({ id: `t${i}`, type: 'process', status: 'done' });
    const t0 = Date.now();
    for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(dir, `task-${i}.json`), body(i));

    const count = (): number =>
      fx.ctx.db
        .prepare("SELECT COUNT(*) FROM events WHERE source = 'watcher' AND kind = 'activity.other'")
        .pluck()
        .get() as number;
    // Whatever the file watcher delivers on its own, until it stops making progress.
    let last = -1;
    let still = 0;
    await waitFor(
      () => {
        const n = count();
        still = n === last ? still + 1 : 0;
        last = n;
        return n >= FILES || still >= 10;
      },
      90_000,
      250
    );
    const viaWatcher = count();
    const tWatcher = Date.now();
    // The scan catches what the kernel's queue (or chokidar) dropped.
    const r = await fx.watcher.reconcileNow();
    await waitFor(() => count() >= FILES, 30_000);
    console.log(
      `burst of ${FILES}: ${viaWatcher} via the watcher (settled ${tWatcher - t0} ms after the first write), ` +
        `${r.recovered} recovered by the reconciliation scan (${r.scanned} scanned in ${Date.now() - tWatcher} ms)`
    );

    expect(count()).toBe(FILES);
    const distinct = fx.ctx.db
      .prepare("SELECT COUNT(DISTINCT subject) FROM events WHERE source = 'watcher' AND kind = 'activity.other'")
      .pluck()
      .get();
    expect(distinct).toBe(FILES);
    expect(await fx.metric('lookout_watcher_files', { classifier: 'activity' })).toBe(FILES);
    expect(await fx.metric('lookout_watcher_recovered_total', { classifier: 'activity' })).toBe(r.recovered);
  }, 180_000);
});
