import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import type { Part, SidecarContext } from '../context';
import type { EventInput } from '../events/event';
import { BoundedQueue } from './bounded-queue';
import { ActivityRules } from './classifiers/activity-classifier';
import { CLASSIFIER_FOLDERS, classifierFor } from './classifier-router';
import { DirectoryWatchers } from './directory-watchers';
import { FileIngestor, type IngestOrigin, type IngestOutcome } from './file-ingestor';
import { GlobSet } from './glob-matcher';
import { scanTree } from './reconcile-scan';
import { type WatcherMetrics, createWatcherMetrics } from './watcher-metrics';
import { type WatchedFile, WatchedFilesRepository, isUnchanged } from './watched-files-repository';
import { StoreUnavailableError, classifyWriteError, logPartFailure } from '../store/store-health';

export interface WorkspaceWatcherOptions {
  /** Files read at once; bounds open descriptors during a burst. */
  readConcurrency?: number;
  /** How often the root's presence (and identity) is checked, so a deleted and re-created root is re-armed. */
  rootProbeMs?: number;
  /** Outcomes committed per transaction at most. */
  maxBatch?: number;
  /**
   * Whether the reconciliation scan runs (at start, on its interval, after the root returns or the
   * store recovers). Off only to measure the watch path alone (tests, benchmarks).
   */
  reconcile?: boolean;
  /** Whether file events are watched. Off only to measure the reconciliation scan alone. */
  fileEvents?: boolean;
}

export interface ReconcileResult {
  scanned: number;
  recovered: number;
}

interface LastReconcile {
  at: string;
  duration_ms: number;
  scanned: number;
  recovered: number;
  root_present: boolean;
}

const DEFAULTS: Required<WorkspaceWatcherOptions> = {
  readConcurrency: 16,
  rootProbeMs: 1000,
  maxBatch: 1000,
  reconcile: true,
  fileEvents: true,
};

/**
 * chokidar drops a second `change` for a path within 50 ms of the first (its own throttle), so a
 * file rewritten quickly can look settled on its first version. After a watch-triggered read of a
 * path whose folder has no directory watcher (which reports every kernel event), the path is
 * stat'ed once more after this delay; an unchanged file costs one stat.
 */
const RECHECK_MS = 75;

/**
 * Watches the workspace root with chokidar and feeds four classifiers (activity, lineage,
 * calibration, telemetry). Events are debounced per path, read through a bounded queue and
 * committed in batches. A reconciliation scan (at start and every `watch.reconcile_interval_ms`)
 * compares the tree with `watched_files`, so whatever the kernel's event queue dropped is still
 * ingested. A root that disappears is reported (readiness, gauge, event) and re-armed when it
 * comes back.
 */
export class WorkspaceWatcher implements Part {
  readonly name = 'watcher';
  private readonly opts: Required<WorkspaceWatcherOptions>;
  private readonly root: string;
  private readonly ignore: GlobSet;
  private readonly watched: WatchedFilesRepository;
  private readonly ingestor: FileIngestor;
  private readonly metrics: WatcherMetrics;
  private readonly queue: BoundedQueue;
  private readonly dirs: DirectoryWatchers;

  private fsw: FSWatcher | null = null;
  private fswClosed: (() => void) | null = null;
  private present = false;
  private rootId: string | null = null;
  private stopped = true;
  private starting = false;
  private initialReconciled = false;

  /**
   * Debounce: path → due time. Every entry of a Map waits the same delay, and an entry is
   * re-inserted on each event, so each Map stays ordered by due time and a sweep stops at the
   * first entry not yet due.
   */
  private readonly pending = new Map<string, number>();
  private readonly rechecks = new Map<string, number>();
  private sweepTimer: NodeJS.Timeout | null = null;
  /** Paths being read or waiting for commit; a new event for one is replayed after it finishes. */
  private readonly busy = new Map<string, ((recovered: boolean) => void)[]>();
  private readonly again = new Set<string>();
  /** Paths read because of a watch event → whether that read was itself a re-check. */
  private readonly recheckAfter = new Map<string, boolean>();
  private batch: IngestOutcome[] = [];
  private flushScheduled = false;

  private probeTimer: NodeJS.Timeout | null = null;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private probing: Promise<boolean> | null = null;
  private reconciling: Promise<ReconcileResult> | null = null;
  private lastReconcile: LastReconcile | null = null;
  private unwatchStore: (() => void) | null = null;

  constructor(
    private readonly ctx: SidecarContext,
    options: WorkspaceWatcherOptions = {}
  ) {
    this.opts = { ...DEFAULTS, ...options };
    this.root = path.resolve(ctx.config.watch.root);
    this.ignore = new GlobSet(ctx.config.watch.ignore);
    this.watched = new WatchedFilesRepository(ctx.db);
    this.ingestor = new FileIngestor(ctx, this.watched, new ActivityRules(ctx.config.watch.activity_rules));
    this.metrics = createWatcherMetrics(ctx.metrics, {
      filesByClassifier: () => (this.ctx.db.open ? this.watched.countByClassifier() : {}),
      rootPresent: () => this.present,
    });
    this.queue = new BoundedQueue(this.opts.readConcurrency, (err) =>
      this.ctx.log.error({ err }, 'watcher task failed')
    );
    this.dirs = new DirectoryWatchers(
      (abs) => this.onFsEvent(abs),
      (err, dir) => this.ctx.log.warn({ err, dir }, 'directory watcher error')
    );
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.ctx.status.readiness('watcher', () => {
      if (!this.present) return { ok: false, detail: `watch root ${this.root} is missing` };
      if (!this.initialReconciled) return { ok: false, detail: 'initial reconciliation scan running' };
      return { ok: true };
    });
    this.ctx.status.section('watcher', () => this.statusSection());
    this.starting = true;
    const present = await this.probeRoot();
    this.starting = false;
    if (!present) this.ctx.log.warn({ root: this.root }, 'watch root is missing; waiting for it to appear');
    this.probeTimer = setInterval(() => void this.probeRoot(), this.opts.rootProbeMs);
    this.probeTimer.unref();
    this.unwatchStore = this.ctx.storeHealth.onChange(() => this.onStoreChange());
    if (!this.opts.reconcile) {
      this.initialReconciled = true;
      return;
    }
    this.reconcileTimer = setInterval(() => void this.reconcileNow(), this.ctx.config.watch.reconcile_interval_ms);
    this.reconcileTimer.unref();
    void this.reconcileNow().then(() => {
      this.initialReconciled = true;
    });
  }

  /**
   * The store stopped or resumed taking writes. While paused nothing is read (the files stay on disk
   * and their rows unchanged); on resume the scan finds everything written meanwhile.
   */
  private onStoreChange(): void {
    if (this.stopped) return;
    if (this.ctx.storeHealth.ingestPaused()) {
      this.pending.clear();
      this.rechecks.clear();
      this.ctx.log.warn({ reason: this.ctx.storeHealth.pausedBy() }, 'watcher paused: the store takes no ingestion');
      return;
    }
    this.ctx.log.info('watcher resumed: scanning the workspace for what changed meanwhile');
    if (this.opts.reconcile) void this.reconcileNow();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unwatchStore?.();
    this.unwatchStore = null;
    for (const t of [this.probeTimer, this.reconcileTimer, this.sweepTimer]) if (t) clearTimeout(t);
    this.probeTimer = this.reconcileTimer = this.sweepTimer = null;
    // Debounced paths not yet read are dropped: the next start's reconciliation finds them.
    this.pending.clear();
    this.rechecks.clear();
    await this.disarm();
    await this.probing;
    await this.reconciling;
    await this.queue.onIdle();
    this.flush();
  }

  /** Runs a reconciliation scan now (or joins the one running) and resolves when its files are committed. */
  reconcileNow(): Promise<ReconcileResult> {
    this.reconciling ??= this.reconcile().finally(() => {
      this.reconciling = null;
    });
    return this.reconciling;
  }

  private statusSection(): Record<string, unknown> {
    const byClassifier = this.ctx.db.open ? this.watched.countByClassifier() : {};
    return {
      root: this.root,
      present: this.present,
      files_tracked: Object.values(byClassifier).reduce((a, b) => a + b, 0),
      files_by_classifier: byClassifier,
      in_progress: this.pending.size + this.busy.size,
      last_reconcile: this.lastReconcile,
    };
  }

  // ---- root presence -------------------------------------------------------------------------

  private probeRoot(): Promise<boolean> {
    this.probing ??= this.doProbeRoot()
      .catch((err: unknown) => {
        this.ctx.log.error({ err }, 'watch root probe failed');
        return this.present;
      })
      .finally(() => {
        this.probing = null;
      });
    return this.probing;
  }

  private async doProbeRoot(): Promise<boolean> {
    const st = await fsp.stat(this.root).catch(() => null);
    if (this.stopped) return false;
    if (!st?.isDirectory()) {
      if (this.present) {
        this.present = false;
        this.ctx.log.warn({ root: this.root }, 'watch root disappeared');
        await this.disarm();
        this.emit({ kind: 'watcher.root_missing', severity: 'warning', subject: this.root, data: { root: this.root } });
      }
      return false;
    }
    // A root deleted and re-created between two probes is a different folder: re-arm on it too.
    const id = `${st.dev}:${st.ino}`;
    if (this.present && (this.fsw || !this.opts.fileEvents) && id === this.rootId) return true;
    const wasKnown = this.rootId !== null;
    await this.disarm();
    this.rootId = id;
    await this.arm();
    if (this.stopped) return false;
    this.present = true;
    if (wasKnown) {
      this.ctx.log.info({ root: this.root }, 'watch root is back; re-armed');
      this.emit({ kind: 'watcher.root_restored', severity: 'info', subject: this.root, data: { root: this.root } });
    }
    // What appeared while nothing watched is only found by a scan (start() runs its own).
    if (!this.starting && this.opts.reconcile) void this.reconcileNow();
    return true;
  }

  private async arm(): Promise<void> {
    if (!this.opts.fileEvents) return;
    const fsw = watch(this.root, {
      // The reconciliation scan at start covers what is already there, with the store to compare.
      ignoreInitial: true,
      // Never descend symlinked folders: a link loop cannot trap the watcher.
      followSymlinks: false,
      ignorePermissionErrors: true,
      persistent: true,
      // chokidar maps the tree (folders only). Files are named by the directory watchers as the kernel
      // reports them: chokidar itself finds a new file only by re-reading its whole folder (at most
      // once a second), and one fs.watch per file costs a kernel watch each and duplicates every event.
      ignored: (p: string, st?: fs.Stats) => this.isIgnoredAbs(p) || (st !== undefined && !st.isDirectory()),
    });
    this.fsw = fsw;
    const onPath = (p: string, st?: fs.Stats): void => this.onFsEvent(p, st);
    fsw.on('add', onPath).on('change', onPath).on('unlink', onPath);
    fsw.on('addDir', (p: string) => this.watchDir(p, true));
    fsw.on('unlinkDir', (p: string) => this.onDirRemoved(p));
    fsw.on('error', (err: unknown) => this.ctx.log.warn({ err, root: this.root }, 'file watcher error'));
    await new Promise<void>((resolve) => {
      this.fswClosed = resolve;
      fsw.once('ready', () => resolve());
    });
    this.fswClosed = null;
    if (this.fsw !== fsw) return;
    // chokidar reports no addDir for folders present at start (ignoreInitial): take its map of the tree.
    for (const dir of Object.keys(fsw.getWatched())) {
      const isDir = fs.lstatSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false;
      if (isDir) this.watchDir(dir, false);
    }
  }

  /**
   * Adds a directory watcher for a folder inside the root that chokidar maps (not the root itself).
   * A folder that appeared while running may already hold files written before its watcher was
   * armed: those are listed once and scheduled (the ingest path skips what it already has).
   */
  private watchDir(p: string, isNew: boolean): void {
    const abs = path.resolve(p);
    if (this.stopped || !this.fsw || this.toRel(abs) === null || this.isIgnoredAbs(abs)) return;
    this.dirs.add(abs);
    if (!isNew) return;
    fsp
      .readdir(abs, { withFileTypes: true })
      .then((entries) => {
        for (const d of entries) if (!d.isDirectory()) this.onFsEvent(path.join(abs, d.name));
      })
      .catch((err: unknown) => {
        // Gone again, or unreadable: chokidar reports the removal, the scan retries the rest.
        this.ctx.log.debug({ err, dir: abs }, 'listing a new folder failed');
      });
  }

  private async disarm(): Promise<void> {
    const fsw = this.fsw;
    this.fsw = null;
    this.dirs.closeAll();
    this.fswClosed?.();
    this.fswClosed = null;
    if (fsw) await fsw.close().catch((err: unknown) => this.ctx.log.warn({ err }, 'closing the file watcher failed'));
  }

  private toRel(abs: string): string | null {
    const rel = path.relative(this.root, abs);
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return null;
    return path.sep === '/' ? rel : rel.split(path.sep).join('/');
  }

  private isIgnoredAbs(abs: string): boolean {
    const rel = this.toRel(abs);
    if (rel === null) return false;
    const top = rel.split('/', 1)[0]!;
    if (!(CLASSIFIER_FOLDERS as readonly string[]).includes(top)) return true;
    return this.ignore.matchesPathOrAncestor(rel);
  }

  // ---- the watch path: debounce → bounded reads → batched commits ------------------------------

  /**
   * A path from either source. chokidar passes the stats it already has; when they match what is
   * ingested (the directory watcher delivered this file first), nothing is scheduled at all.
   */
  private onFsEvent(abs: string, st?: fs.Stats): void {
    const rel = this.toRel(abs);
    if (rel === null || !classifierFor(rel) || this.ignore.matchesPathOrAncestor(rel)) return;
    if (
      st?.isFile() &&
      !this.pending.has(rel) &&
      !this.busy.has(rel) &&
      isUnchanged(this.watched.get(rel), st.size, st.mtimeMs)
    )
      return;
    this.schedule(rel);
  }

  private onDirRemoved(abs: string): void {
    this.dirs.remove(path.resolve(abs));
    if (path.resolve(abs) === this.root) {
      void this.probeRoot();
      return;
    }
    // chokidar reports the files it knew inside; anything it did not know the store still does.
    const rel = this.toRel(abs);
    if (rel === null) return;
    for (const known of this.watched.all().keys()) if (known.startsWith(`${rel}/`)) this.schedule(known);
  }

  private schedule(rel: string, recheck = false): void {
    // While the store takes no ingestion, events are dropped: the scan on resume finds the files.
    if (this.stopped || this.ctx.storeHealth.ingestPaused()) return;
    if (this.busy.has(rel)) {
      this.again.add(rel);
      return;
    }
    const now = Date.now();
    if (recheck) {
      // A real event replaces a pending re-check, never the other way round.
      if (this.pending.has(rel) || this.rechecks.has(rel)) return;
      this.rechecks.set(rel, now + RECHECK_MS);
    } else {
      this.rechecks.delete(rel);
      this.pending.delete(rel);
      this.pending.set(rel, now + this.ctx.config.watch.debounce_ms);
    }
    if (!this.sweepTimer)
      this.sweepTimer = setTimeout(() => this.sweep(), recheck ? RECHECK_MS : this.ctx.config.watch.debounce_ms);
  }

  private sweep(): void {
    this.sweepTimer = null;
    if (this.stopped) return;
    const now = Date.now();
    let next = Infinity;
    for (const [map, isRecheck] of [
      [this.pending, false],
      [this.rechecks, true],
    ] as const) {
      for (const [rel, due] of map) {
        if (due > now) {
          next = Math.min(next, due);
          break;
        }
        map.delete(rel);
        // Taken over by a reconciliation read meanwhile: replay an event after it, drop a re-check.
        if (this.busy.has(rel)) {
          if (!isRecheck) this.again.add(rel);
          continue;
        }
        void this.startJob(rel, 'watch', isRecheck);
      }
    }
    if (next !== Infinity) this.sweepTimer = setTimeout(() => this.sweep(), Math.max(1, next - now));
  }

  /** Reads one path through the queue; resolves once its outcome is committed (true when recovered). */
  private startJob(rel: string, origin: IngestOrigin, isRecheck = false): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      this.busy.set(rel, [resolve]);
      // A watch-triggered read that found something gets one re-check (see RECHECK_MS).
      if (origin === 'watch') this.recheckAfter.set(rel, isRecheck);
      this.queue.push(async () => {
        let outcome: IngestOutcome | null = null;
        try {
          if (!this.stopped || origin === 'reconcile') outcome = await this.ingestor.prepare(rel, origin);
        } catch (err) {
          this.ctx.log.error({ err, file: rel }, 'ingesting a workspace file failed');
        }
        if (!outcome) {
          this.finish(rel, false, false);
          return;
        }
        this.batch.push(outcome);
        if (this.batch.length >= this.opts.maxBatch) this.flush();
        else if (!this.flushScheduled) {
          this.flushScheduled = true;
          setImmediate(() => this.flush());
        }
      });
    });
  }

  private finish(rel: string, recovered: boolean, changed: boolean): void {
    const waiters = this.busy.get(rel) ?? [];
    this.busy.delete(rel);
    const wasRecheck = this.recheckAfter.get(rel);
    this.recheckAfter.delete(rel);
    for (const w of waiters) w(recovered);
    if (this.again.delete(rel)) this.schedule(rel);
    // Re-check after a first watch read, and keep re-checking while re-checks keep finding changes,
    // unless a directory watcher reports every change of this path anyway.
    else if (wasRecheck !== undefined && (!wasRecheck || changed) && !this.coveredByDirWatcher(rel))
      this.schedule(rel, true);
  }

  private coveredByDirWatcher(rel: string): boolean {
    const slash = rel.lastIndexOf('/');
    return this.dirs.covers(slash < 0 ? this.root : path.join(this.root, rel.slice(0, slash)));
  }

  /**
   * Commits a batch in one transaction: store side effects, all events in one appendMany, then the
   * watched_files rows. A crash (kill -9) keeps all of it or none, so the next start's scan neither
   * misses a file nor ingests one twice. A file whose side effects fail is rolled back alone (a
   * savepoint) and retried later; a store that cannot write fails the whole batch, and the watcher
   * pauses until it can (the files stay on disk and the scan after recovery reads them).
   */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.batch;
    this.batch = [];
    if (!batch.length) return;
    if (!this.ctx.db.open || this.ctx.storeHealth.ingestPaused()) {
      for (const o of batch) this.finish(o.relPath, false, false);
      return;
    }
    const eventCounts = new Map<string, number>();
    const committed: IngestOutcome[] = [];
    const rows = (): WatchedFile[] => committed.flatMap((o) => (o.row ? [o.row] : []));
    const removed = (): string[] => committed.flatMap((o) => (o.row ? [] : [o.relPath]));
    try {
      this.ctx.events.transaction(() => {
        const events: EventInput[] = [];
        for (const o of batch) {
          try {
            const r = this.ctx.db.transaction(() => o.apply())();
            events.push(...r.events);
            const n = r.events.length + r.appendedElsewhere;
            if (n) eventCounts.set(o.classifier, (eventCounts.get(o.classifier) ?? 0) + n);
            committed.push(o);
          } catch (err) {
            // A store that cannot write fails the batch; anything else is this file's problem.
            if (classifyWriteError(err) || err instanceof StoreUnavailableError) throw err;
            // The row is not updated, so the next change or reconciliation retries this file.
            this.ctx.log.error({ err, file: o.relPath }, 'applying a workspace file to the store failed');
            this.metrics.errors.inc({ classifier: o.classifier, reason: 'io' });
          }
        }
        this.ctx.events.appendMany(events);
        this.watched.writeBatch(rows(), removed());
      });
    } catch (err) {
      logPartFailure(this.ctx.log, err, 'committing watcher events failed');
      for (const o of batch) this.finish(o.relPath, false, false);
      return;
    }
    this.watched.remember(rows(), removed());
    const now = Date.now();
    for (const [classifier, n] of eventCounts) this.metrics.events.inc({ classifier }, n);
    for (const o of committed) {
      for (const reason of o.errors) this.metrics.errors.inc({ classifier: o.classifier, reason });
      if (o.recovered) this.metrics.recovered.inc({ classifier: o.classifier });
      if (o.mtimeMs !== null)
        this.metrics.lag.observe({ classifier: o.classifier }, Math.max(0, (now - o.mtimeMs) / 1000));
    }
    const committedSet = new Set(committed);
    for (const o of batch) this.finish(o.relPath, committedSet.has(o) && o.recovered, true);
  }

  private emit(e: Omit<EventInput, 'source'>): void {
    if (!this.ctx.db.open) return;
    try {
      this.ctx.events.append({ source: 'watcher', ...e });
    } catch (err) {
      this.ctx.log.error({ err }, 'appending a watcher event failed');
    }
  }

  // ---- reconciliation ------------------------------------------------------------------------

  private async reconcile(): Promise<ReconcileResult> {
    const started = Date.now();
    const finishRun = (r: ReconcileResult, rootPresent: boolean): ReconcileResult => {
      this.lastReconcile = {
        at: new Date().toISOString(),
        duration_ms: Date.now() - started,
        scanned: r.scanned,
        recovered: r.recovered,
        root_present: rootPresent,
      };
      this.metrics.reconcileRuns.inc();
      return r;
    };
    if (this.stopped) return { scanned: 0, recovered: 0 };
    // While the root is missing nothing is removed: a vanished workspace is an outage, not an empty one.
    if (!(await this.probeRoot())) return finishRun({ scanned: 0, recovered: 0 }, false);
    const scan = await scanTree(
      this.root,
      CLASSIFIER_FOLDERS,
      (rel) => this.ignore.matchesPathOrAncestor(rel),
      () => this.stopped
    );
    if (this.stopped || !this.present) return finishRun({ scanned: scan.files.size, recovered: 0 }, this.present);
    // Paused meanwhile: the scan after the store recovers reads these files.
    if (this.ctx.storeHealth.ingestPaused()) return finishRun({ scanned: scan.files.size, recovered: 0 }, true);
    const known = this.watched.all();
    const jobs: Promise<boolean>[] = [];
    const inFlight = (rel: string): boolean => this.pending.has(rel) || this.busy.has(rel);
    for (const [rel, st] of scan.files) {
      if (!classifierFor(rel) || inFlight(rel)) continue;
      const row = known.get(rel);
      if (isUnchanged(row, st.size, st.mtimeMs)) continue;
      jobs.push(this.startJob(rel, 'reconcile'));
    }
    const unreadable = scan.incompleteDirs.map((d) => `${d}/`);
    for (const rel of known.keys()) {
      if (scan.files.has(rel) || inFlight(rel) || unreadable.some((d) => rel.startsWith(d))) continue;
      if (this.ignore.matchesPathOrAncestor(rel)) continue;
      jobs.push(this.startJob(rel, 'reconcile'));
    }
    const results = await Promise.all(jobs);
    return finishRun({ scanned: scan.files.size, recovered: results.filter(Boolean).length }, true);
  }
}
