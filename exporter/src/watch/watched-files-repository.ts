import type { Db } from '../store/database';
import type { ClassifierName } from './classifiers/classifier';

/**
 * `ok` — ingested; `invalid:<reason>`, `skipped:too_large` and `skipped:outside_root` (a symlink, or
 * a file under a symlinked folder, that resolves outside the watch root) — the content was refused
 * and is not read again until it changes; `error:<reason>` — reading failed (permission, io) and is
 * retried on the next change or reconciliation.
 */
export type WatchedStatus =
  'ok' | `invalid:${string}` | 'skipped:too_large' | 'skipped:outside_root' | `error:${string}`;

export interface WatchedFile {
  rel_path: string;
  classifier: ClassifierName;
  size: number;
  mtime_ms: number;
  status: WatchedStatus;
  updated_at: string;
}

export const isRetryable = (status: string): boolean => status.startsWith('error:');

/** Whether a file with this size and mtime is already ingested as `row` (nothing to read again). */
export function isUnchanged(row: WatchedFile | undefined, size: number, mtimeMs: number): boolean {
  return row !== undefined && row.size === size && row.mtime_ms === mtimeMs && !isRetryable(row.status);
}

/**
 * The watcher's memory of what it last ingested per file (table `watched_files`, migration 001).
 * The watcher is the table's only writer, so the rows are also held in memory (loaded once, written
 * through after each commit): the per-file "already ingested?" check that both event sources and the
 * reconciliation scan make costs a Map lookup instead of a SELECT.
 */
export class WatchedFilesRepository {
  private readonly upsertStmt;
  private readonly deleteStmt;
  private readonly rows: Map<string, WatchedFile>;
  private readonly byClassifier = new Map<string, number>();

  constructor(private readonly db: Db) {
    this.upsertStmt = db.prepare(
      `INSERT INTO watched_files (rel_path, classifier, size, mtime_ms, status, updated_at)
       VALUES (@rel_path, @classifier, @size, @mtime_ms, @status, @updated_at)
       ON CONFLICT(rel_path) DO UPDATE SET classifier = excluded.classifier, size = excluded.size,
         mtime_ms = excluded.mtime_ms, status = excluded.status, updated_at = excluded.updated_at`
    );
    this.deleteStmt = db.prepare('DELETE FROM watched_files WHERE rel_path = ?');
    const all = db.prepare('SELECT * FROM watched_files').all() as WatchedFile[];
    this.rows = new Map(all.map((r) => [r.rel_path, r]));
    for (const r of all) this.count(r.classifier, 1);
  }

  private count(classifier: string, delta: number): void {
    this.byClassifier.set(classifier, (this.byClassifier.get(classifier) ?? 0) + delta);
  }

  get(relPath: string): WatchedFile | undefined {
    return this.rows.get(relPath);
  }

  /** A snapshot copy: the caller may hold it across commits. */
  all(): Map<string, WatchedFile> {
    return new Map(this.rows);
  }

  /** Applies a batch of upserts (rows) and deletions (paths) in one transaction. */
  applyBatch(upserts: readonly WatchedFile[], deletes: readonly string[]): void {
    if (!upserts.length && !deletes.length) return;
    this.db.transaction(() => this.writeBatch(upserts, deletes))();
    this.remember(upserts, deletes);
  }

  /**
   * Writes a batch to the table only. Run it inside the caller's transaction and call `remember`
   * once that commits: memory must never claim a row a rolled-back transaction did not keep.
   */
  writeBatch(upserts: readonly WatchedFile[], deletes: readonly string[]): void {
    for (const r of upserts) this.upsertStmt.run(r);
    for (const p of deletes) this.deleteStmt.run(p);
  }

  /** Takes a committed batch into memory (see `writeBatch`). */
  remember(upserts: readonly WatchedFile[], deletes: readonly string[]): void {
    for (const r of upserts) {
      const old = this.rows.get(r.rel_path);
      if (old) this.count(old.classifier, -1);
      this.rows.set(r.rel_path, { ...r });
      this.count(r.classifier, 1);
    }
    for (const p of deletes) {
      const old = this.rows.get(p);
      if (!old) continue;
      this.rows.delete(p);
      this.count(old.classifier, -1);
    }
  }

  countByClassifier(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [c, n] of this.byClassifier) if (n > 0) out[c] = n;
    return out;
  }
}
