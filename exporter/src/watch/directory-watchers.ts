import fs from 'node:fs';
import path from 'node:path';

/**
 * One `fs.watch` per directory, reporting the name of every entry the kernel says changed. chokidar
 * finds a new file by re-reading its whole folder at most once a second, so in a busy folder its
 * `add` comes seconds late; these watchers hand each name to the watcher's debounce as the kernel
 * delivers it. chokidar still maps the tree (which directories exist: `addDir`/`unlinkDir` drive
 * `add`/`remove` here) and its own file events remain a second source; the ingest path is
 * idempotent, so a name seen by both is read once.
 */
export class DirectoryWatchers {
  private readonly watchers = new Map<string, fs.FSWatcher>();

  constructor(
    private readonly onName: (abs: string) => void,
    private readonly onError: (err: unknown, dir: string) => void
  ) {}

  get size(): number {
    return this.watchers.size;
  }

  /** Whether events for entries of `dir` arrive from a watcher here. */
  covers(dir: string): boolean {
    return this.watchers.has(dir);
  }

  add(dir: string): void {
    if (this.watchers.has(dir)) return;
    let w: fs.FSWatcher;
    try {
      w = fs.watch(dir, { persistent: false, encoding: 'utf8' }, (_type, name) => {
        // Linux always names the entry; a nameless event says only "something in here changed",
        // which chokidar's re-read of the folder and the reconciliation scan already cover.
        if (name) this.onName(path.join(dir, name));
      });
    } catch (err) {
      // Gone again already, or not ours to read: chokidar and the scan still cover it.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') this.onError(err, dir);
      return;
    }
    w.on('error', (err) => {
      this.remove(dir);
      this.onError(err, dir);
    });
    this.watchers.set(dir, w);
  }

  /** Stops watching `dir` and every directory under it. */
  remove(dir: string): void {
    const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
    for (const [d, w] of this.watchers) {
      if (d !== dir && !d.startsWith(prefix)) continue;
      w.close();
      this.watchers.delete(d);
    }
  }

  closeAll(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
