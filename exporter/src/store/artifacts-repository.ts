import type { Db } from './database';

export interface Artifact {
  id: string;
  kind: string;
  generation: string;
  name: string;
  rel_path: string;
  content_type: string;
  size: number;
  mtime_ms: number;
  etag: string;
  meta: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

interface ArtifactRow extends Omit<Artifact, 'meta'> {
  meta: string;
}

const toArtifact = (r: ArtifactRow): Artifact => ({ ...r, meta: JSON.parse(r.meta) as Record<string, unknown> });

export interface ArtifactQuery {
  kind: string;
  generation?: string;
  name?: string;
  /** Paging: rows whose id sorts after this. */
  after?: string;
  limit: number;
}

export class ArtifactsRepository {
  constructor(private readonly db: Db) {}

  upsert(a: Artifact): void {
    this.db
      .prepare(
        `INSERT INTO artifacts (id, kind, generation, name, rel_path, content_type, size, mtime_ms, etag, meta, created_at, updated_at)
         VALUES (@id, @kind, @generation, @name, @rel_path, @content_type, @size, @mtime_ms, @etag, @meta, @created_at, @updated_at)
         ON CONFLICT(id) DO UPDATE SET content_type = excluded.content_type, size = excluded.size, mtime_ms = excluded.mtime_ms,
           etag = excluded.etag, meta = excluded.meta, updated_at = excluded.updated_at`
      )
      .run({ ...a, meta: JSON.stringify(a.meta) });
  }

  /** Merge metadata (from the `<name>.json` beside an image) into an artifact, if it exists. */
  setMeta(id: string, meta: Record<string, unknown>, ts: string): boolean {
    return (
      this.db.prepare('UPDATE artifacts SET meta = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(meta), ts, id)
        .changes > 0
    );
  }

  removeByPath(relPath: string): boolean {
    return this.db.prepare('DELETE FROM artifacts WHERE rel_path = ?').run(relPath).changes > 0;
  }

  get(id: string): Artifact | undefined {
    const row = this.db.prepare('SELECT * FROM artifacts WHERE id = ?').get(id) as ArtifactRow | undefined;
    return row ? toArtifact(row) : undefined;
  }

  getByPath(relPath: string): Artifact | undefined {
    const row = this.db.prepare('SELECT * FROM artifacts WHERE rel_path = ?').get(relPath) as ArtifactRow | undefined;
    return row ? toArtifact(row) : undefined;
  }

  list(q: ArtifactQuery): Artifact[] {
    const where = ['kind = ?'];
    const args: unknown[] = [q.kind];
    if (q.generation) {
      where.push('generation = ?');
      args.push(q.generation);
    }
    if (q.name) {
      where.push('name = ?');
      args.push(q.name);
    }
    if (q.after) {
      where.push('id > ?');
      args.push(q.after);
    }
    args.push(q.limit);
    return (
      this.db
        .prepare(`SELECT * FROM artifacts WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`)
        .all(...args) as ArtifactRow[]
    ).map(toArtifact);
  }

  count(kind: string): number {
    return this.db.prepare('SELECT COUNT(*) FROM artifacts WHERE kind = ?').pluck().get(kind) as number;
  }
}
