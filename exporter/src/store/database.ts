import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations';

export type Db = Database.Database;

export class StoreIntegrityError extends Error {
  override name = 'StoreIntegrityError';
}

export class StoreMigrationError extends Error {
  override name = 'StoreMigrationError';
}

export interface OpenDatabaseOptions {
  synchronous?: 'NORMAL' | 'FULL';
}

/**
 * Opens (creating if needed) the SQLite file in WAL mode and brings its schema up to date.
 * WAL + synchronous=NORMAL: a committed transaction is in the WAL before `run()` returns, so a
 * process crash (kill -9) never loses it; only an OS crash or power loss can lose the last
 * commits, which FULL also prevents at a write-latency cost (config `store.synchronous`).
 */
export function openDatabase(file: string, opts: OpenDatabaseOptions = {}): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Keep the WAL from growing without bound under a steady write load.
    db.pragma('wal_autocheckpoint = 1000');
    migrate(db, MIGRATIONS);
  } catch (err) {
    // Not left open: a caller retrying (a full disk at start-up) must not pile up file handles.
    db.close();
    throw err;
  }
  return db;
}

export function migrate(db: Db, migrations: readonly Migration[]): number {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)'
  );
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version)
  );
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.version === sorted[i - 1]!.version) {
      throw new StoreMigrationError(`two migrations share version ${sorted[i]!.version}`);
    }
  }
  const known = new Set(sorted.map((m) => m.version));
  for (const v of applied) {
    if (!known.has(v)) {
      throw new StoreMigrationError(
        `database has migration ${v}, which this build does not know: refusing to downgrade`
      );
    }
  }
  let n = 0;
  for (const m of sorted) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString()
      );
    })();
    n++;
  }
  return n;
}

export function schemaVersion(db: Db): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/** `PRAGMA quick_check` at start-up: throws StoreIntegrityError with SQLite's own findings. */
export function checkIntegrity(db: Db, mode: 'quick' | 'full' = 'quick'): void {
  const rows = db.pragma(mode === 'quick' ? 'quick_check' : 'integrity_check') as Record<string, string>[];
  const findings = rows.map((r) => Object.values(r)[0]);
  if (findings.length !== 1 || findings[0] !== 'ok') {
    throw new StoreIntegrityError(`SQLite integrity check failed: ${findings.slice(0, 10).join('; ')}`);
  }
}

export function databaseSizeBytes(file: string): number {
  let total = 0;
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      total += fs.statSync(f).size;
    } catch {
      // -wal and -shm exist only while the database is open in WAL mode.
    }
  }
  return total;
}

const statementCache = new WeakMap<Db, Map<string, Database.Statement>>();
/** Bounds the cache for repositories that build SQL from a varying set of columns. */
const MAX_CACHED_STATEMENTS = 512;

/**
 * `db.prepare(sql)`, compiled once per database and SQL text. Preparing costs more than running a
 * small statement, and better-sqlite3 statements are reusable, so hot paths reuse them.
 */
export function prepareCached(db: Db, sql: string): Database.Statement {
  let cache = statementCache.get(db);
  if (!cache) {
    cache = new Map();
    statementCache.set(db, cache);
  }
  let stmt = cache.get(sql);
  if (!stmt) {
    if (cache.size >= MAX_CACHED_STATEMENTS) cache.clear();
    stmt = db.prepare(sql);
    cache.set(sql, stmt);
  }
  return stmt;
}
