import type { Db } from './database';

/** Small durable state: kill switch, scheduler pause, cursors. Values are JSON. */
export class KvRepository {
  private readonly getStmt;
  private readonly setStmt;
  private readonly delStmt;
  private writes = 0;

  constructor(db: Db) {
    this.getStmt = db.prepare('SELECT value FROM kv WHERE key = ?').pluck();
    this.setStmt = db.prepare(
      'INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at'
    );
    this.delStmt = db.prepare('DELETE FROM kv WHERE key = ?');
  }

  /** Raw JSON text, or undefined. Callers that must fail safe parse it themselves. */
  getRaw(key: string): string | undefined {
    return this.getStmt.get(key) as string | undefined;
  }

  get<T>(key: string): T | undefined {
    const raw = this.getRaw(key);
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }

  set(key: string, value: unknown): void {
    this.setStmt.run(key, JSON.stringify(value), new Date().toISOString());
    this.writes++;
  }

  delete(key: string): void {
    this.delStmt.run(key);
    this.writes++;
  }

  /** Changes with every write through this repository: readers that cache derived state compare it. */
  get version(): number {
    return this.writes;
  }
}
