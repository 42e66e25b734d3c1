import type { Db } from '../store/database';
import type { ClassifierName } from './classifiers/classifier';

/**
 * `ok` — ingested; `invalid:<reason>` and `skipped:too_large` — the content was refused and is
 * not read again until it changes; `error:<reason>` — reading failed (permission, io) and is
 * retried on the next change or reconciliation.
 */
export type WatchedStatus = 'ok' | `invalid:${string}` | 'skipped:too_large' | `error:${string}`;

export interface WatchedFile {
  rel_path: string;
  classifier: ClassifierName;
  size: number;
  mtime_ms: number;
  status: WatchedStatus;
  updated_at: string;
}

export const isRetryable = (status: string): boolean => status.startsWith('error:');

/** The watcher's memory of what it last ingested per file (table `watched_files`, migration 001). */
export class WatchedFilesRepository {
  private readonly getStmt;
  private readonly upsertStmt;
  private readonly deleteStmt;

  constructor(private readonly db: Db) {
    this.getStmt = db.prepare('SELECT * FROM watched_files WHERE rel_path = ?');
    this.upsertStmt = db.prepare(
      `INSERT INTO watched_files (rel_path, classifier, size, mtime_ms, status, updated_at)
       VALUES (@rel_path, @classifier, @size, @mtime_ms, @status, @updated_at)
       ON CONFLICT(rel_path) DO UPDATE SET classifier = excluded.classifier, size = excluded.size,
         mtime_ms = excluded.mtime_ms, status = excluded.status, updated_at = excluded.updated_at`
    );
    this.deleteStmt = db.prepare('DELETE FROM watched_files WHERE rel_path = ?');
  }

  get(relPath: string): WatchedFile | undefined {
    return this.getStmt.get(relPath) as WatchedFile | undefined;
  }

  all(): Map<string, WatchedFile> {
    const rows = this.db.prepare('SELECT * FROM watched_files').all() as WatchedFile[];
    return new Map(rows.map((r) => [r.rel_path, r]));
  }

  /** Applies a batch of upserts (rows) and deletions (paths) in one transaction. */
  applyBatch(upserts: readonly WatchedFile[], deletes: readonly string[]): void {
    if (!upserts.length && !deletes.length) return;
    this.db.transaction(() => {
      for (const r of upserts) this.upsertStmt.run(r);
      for (const p of deletes) this.deleteStmt.run(p);
    })();
  }

  countByClassifier(): Record<string, number> {
    const rows = this.db.prepare('SELECT classifier, COUNT(*) AS n FROM watched_files GROUP BY classifier').all() as {
      classifier: string;
      n: number;
    }[];
    return Object.fromEntries(rows.map((r) => [r.classifier, r.n]));
  }
}
