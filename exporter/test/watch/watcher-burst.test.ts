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

  const writeBurst = (): void => {
    const dir = path.join(fx.root, 'activity', 'burst');
    fs.mkdirSync(dir);
    for (let i = 0; i < FILES; i++) {
      fs.writeFileSync(
        path.join(dir, `task-${i}.json`),
        JSON.stringify({ id: `t${i}`, type: 'process', status: 'done' })
      );
    }
  };
  const count = (): number =>
    fx.ctx.db
      .prepare("SELECT COUNT(*) FROM events WHERE source = 'watcher' AND kind = 'activity.other'")
      .pluck()
      .get() as number;
  const distinct = (): number =>
    fx.ctx.db
      .prepare("SELECT COUNT(DISTINCT subject) FROM events WHERE source = 'watcher' AND kind = 'activity.other'")
      .pluck()
      .get() as number;

  it('the file watcher alone (no reconciliation scan) turns each of 50,000 files written at once into one event', async () => {
    fx = await startWatchFixture({}, { reconcile: false });
    writeBurst();
    await waitFor(() => count() >= FILES, 90_000, 250);

    expect(count()).toBe(FILES);
    expect(distinct()).toBe(FILES);
    expect(await fx.metric('lookout_watcher_files', { classifier: 'activity' })).toBe(FILES);
    // No scan ran, so every one of them came through the watch path.
    expect(await fx.metric('lookout_watcher_reconcile_runs_total')).toBe(0);
    expect(await fx.metric('lookout_watcher_recovered_total', { classifier: 'activity' })).toBe(0);
  }, 180_000);

  it('the reconciliation scan alone recovers a burst of 50,000 files the watch path never saw', async () => {
    // No file events at all: the whole burst is what a kernel queue overflow would drop.
    fx = await startWatchFixture({}, { fileEvents: false });
    await waitFor(async () => (await fx.metric('lookout_watcher_reconcile_runs_total')) >= 1);
    writeBurst();
    expect(count()).toBe(0);

    const r = await fx.watcher.reconcileNow();
    expect(r).toEqual({ scanned: FILES, recovered: FILES });
    expect(count()).toBe(FILES);
    expect(distinct()).toBe(FILES);
    expect(await fx.metric('lookout_watcher_recovered_total', { classifier: 'activity' })).toBe(FILES);
    // A second scan finds nothing left to do: no file is ingested twice.
    expect(await fx.watcher.reconcileNow()).toEqual({ scanned: FILES, recovered: 0 });
    expect(count()).toBe(FILES);
  }, 180_000);
});
