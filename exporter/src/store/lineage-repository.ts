import type { Db } from './database';
import { KvRepository } from './kv-repository';

export const GENERATION_STATUSES = ['candidate', 'canary', 'active', 'retired', 'failed'] as const;
export type GenerationStatus = (typeof GENERATION_STATUSES)[number];

/** A generation as served: the file's fields, unknown ones kept. */
export interface Generation {
  id: string;
  parent: string | null;
  created_at: string | null;
  status: GenerationStatus;
  kpis: Record<string, number>;
  artifacts: string[];
  notes?: string;
  [extra: string]: unknown;
}

export interface LineageDoc {
  model: string;
  generations: Generation[];
  [extra: string]: unknown;
}

export interface LineageView {
  model: string | null;
  generations: Generation[];
  active: string | null;
  canary: string | null;
  updated_at: string | null;
  /** Set when the view answers `?at=`. */
  at?: string;
}

export interface PointerMove {
  seq: number;
  ts: string;
  model: string;
  pointer: 'active' | 'canary';
  generation: string | null;
  previous: string | null;
  actor: string | null;
  reason: string | null;
  source: string;
}

const CURRENT_KEY = 'lineage:current';

/** The pointer a document implies: the newest generation holding that status. */
export function pointerOf(doc: LineageDoc, status: 'active' | 'canary'): string | null {
  const holders = doc.generations.filter((g) => g.status === status);
  if (!holders.length) return null;
  holders.sort((a, b) => String(a.created_at ?? '').localeCompare(String(b.created_at ?? '')));
  return holders[holders.length - 1]!.id;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Lineage as last read from the workspace, every generation ever seen, and the append-only
 * ledger of pointer moves that answers "what was serving at T".
 */
export class LineageRepository {
  private readonly kv: KvRepository;
  // pointerAt, moves and current() run on every /metrics scrape and status build: statements are
  // prepared once and the parsed current view is kept until the next apply() or recordMove().
  private readonly insertMoveStmt;
  private readonly pointerNowStmt;
  private readonly pointerAtStmt;
  private readonly movesStmt;
  private readonly movesOfModelStmt;
  private currentView: Readonly<LineageView> | undefined;

  constructor(private readonly db: Db) {
    this.kv = new KvRepository(db);
    this.insertMoveStmt = db.prepare(
      'INSERT INTO lineage_pointer_moves (ts, model, pointer, generation, previous, actor, reason, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
    );
    const pointerSql = (at: boolean): string =>
      `SELECT generation FROM lineage_pointer_moves WHERE model = ? AND pointer = ? ${at ? 'AND ts <= ?' : ''}
         ORDER BY seq DESC LIMIT 1`;
    this.pointerNowStmt = db.prepare(pointerSql(false));
    this.pointerAtStmt = db.prepare(pointerSql(true));
    this.movesStmt = db.prepare('SELECT * FROM lineage_pointer_moves ORDER BY seq DESC LIMIT ?');
    this.movesOfModelStmt = db.prepare('SELECT * FROM lineage_pointer_moves WHERE model = ? ORDER BY seq DESC LIMIT ?');
  }

  /** Stores a validated document; records pointer moves it implies. Returns the moves made. */
  apply(
    doc: LineageDoc,
    ts: string,
    source = 'watcher',
    actor: string | null = null,
    reason: string | null = null
  ): PointerMove[] {
    this.currentView = undefined;
    return this.db.transaction(() => {
      const upsert = this.db.prepare(
        `INSERT INTO lineage_generations (model, id, parent, created_at, status, doc, first_seen, updated_at)
         VALUES (@model, @id, @parent, @created_at, @status, @doc, @ts, @ts)
         ON CONFLICT(model, id) DO UPDATE SET parent = excluded.parent, created_at = excluded.created_at,
           status = excluded.status, doc = excluded.doc, updated_at = excluded.updated_at`
      );
      for (const g of doc.generations) {
        upsert.run({
          model: doc.model,
          id: g.id,
          parent: g.parent ?? null,
          created_at: g.created_at ?? null,
          status: g.status,
          doc: JSON.stringify(g),
          ts,
        });
      }
      this.kv.set(CURRENT_KEY, { doc, updated_at: ts });
      const moves: PointerMove[] = [];
      for (const pointer of ['active', 'canary'] as const) {
        const next = pointerOf(doc, pointer);
        const prev = this.pointerAt(doc.model, pointer, undefined);
        if (next === prev) continue;
        // A move an action announced carries that action's actor and reason (promote, rollback).
        const intent = actor === null && next !== null ? this.consumeIntent(pointer, next, ts) : undefined;
        moves.push(
          intent
            ? this.recordMove(doc.model, pointer, next, prev, ts, intent.source, intent.actor, intent.reason)
            : this.recordMove(doc.model, pointer, next, prev, ts, source, actor, reason)
        );
      }
      return moves;
    })();
  }

  recordMove(
    model: string,
    pointer: 'active' | 'canary',
    generation: string | null,
    previous: string | null,
    ts: string,
    source: string,
    actor: string | null,
    reason: string | null
  ): PointerMove {
    this.currentView = undefined;
    const info = this.insertMoveStmt.run(ts, model, pointer, generation, previous, actor, reason, source);
    return { seq: Number(info.lastInsertRowid), ts, model, pointer, generation, previous, actor, reason, source };
  }

  /**
   * Announces that `actor` is about to move `pointer` to `generation` (an action asking the workload to
   * promote or roll back). The ledger entry recorded when the lineage file shows the move takes the
   * intent's actor, reason and source; an intent not seen before `expiresAt` is ignored.
   */
  registerIntent(intent: {
    pointer: 'active' | 'canary';
    generation: string;
    actor: string;
    reason: string;
    source: string;
    expiresAt: string;
  }): void {
    this.db
      .prepare(
        'INSERT INTO lineage_pointer_intents (pointer, generation, actor, reason, source, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)'
      )
      .run(
        intent.pointer,
        intent.generation,
        intent.actor,
        intent.reason,
        intent.source,
        new Date().toISOString(),
        intent.expiresAt
      );
  }

  private consumeIntent(
    pointer: 'active' | 'canary',
    generation: string,
    ts: string
  ): { actor: string; reason: string; source: string } | undefined {
    const row = this.db
      .prepare(
        `SELECT seq, actor, reason, source FROM lineage_pointer_intents
         WHERE pointer = ? AND generation = ? AND consumed_at IS NULL AND expires_at > ? ORDER BY seq DESC LIMIT 1`
      )
      .get(pointer, generation, new Date().toISOString()) as
      { seq: number; actor: string; reason: string; source: string } | undefined;
    if (!row) return undefined;
    this.db.prepare('UPDATE lineage_pointer_intents SET consumed_at = ? WHERE seq = ?').run(ts, row.seq);
    return row;
  }

  /** Who held `pointer` and when, oldest first; the last tenure has `to` null (still holding). */
  tenures(
    model: string,
    pointer: 'active' | 'canary' = 'active'
  ): { generation: string; from: string; to: string | null; actor: string | null; reason: string | null }[] {
    const rows = this.db
      .prepare('SELECT * FROM lineage_pointer_moves WHERE model = ? AND pointer = ? ORDER BY seq')
      .all(model, pointer) as PointerMove[];
    const out: { generation: string; from: string; to: string | null; actor: string | null; reason: string | null }[] =
      [];
    for (const m of rows) {
      const last = out[out.length - 1];
      if (last && last.to === null) last.to = m.ts;
      if (m.generation !== null)
        out.push({ generation: m.generation, from: m.ts, to: null, actor: m.actor, reason: m.reason });
    }
    return out;
  }

  /**
   * The last known good generation: the most recent one, other than the one active now, that was active
   * with no critical incident during its tenure (`hadCritical` answers that for a time span).
   */
  lastKnownGood(model: string, hadCritical: (from: string, to: string | null) => boolean): string | null {
    const tenures = this.tenures(model, 'active');
    const current = this.pointerAt(model, 'active', undefined);
    const generations = new Map(this.current().generations.map((g) => [g.id, g]));
    for (let i = tenures.length - 1; i >= 0; i--) {
      const t = tenures[i]!;
      if (t.generation === current) continue;
      if (generations.get(t.generation)?.status === 'failed') continue;
      if (!hadCritical(t.from, t.to)) return t.generation;
    }
    return null;
  }

  /** Pointer value at time `at` (ISO), or now when undefined. */
  pointerAt(model: string, pointer: 'active' | 'canary', at: string | undefined): string | null {
    const row = (at ? this.pointerAtStmt.get(model, pointer, at) : this.pointerNowStmt.get(model, pointer)) as
      { generation: string | null } | undefined;
    return row ? row.generation : null;
  }

  moves(model?: string, limit = 1000): PointerMove[] {
    const rows = model ? this.movesOfModelStmt.all(model, limit) : this.movesStmt.all(limit);
    return rows as PointerMove[];
  }

  /** The current lineage; shared between callers and frozen, so nobody can change it under the others. */
  current(): Readonly<LineageView> {
    if (this.currentView) return this.currentView;
    const view = deepFreeze(this.readCurrent());
    // Inside a transaction the read may be rolled back (apply() runs in the watcher's batch): not cached.
    if (!this.db.inTransaction) this.currentView = view;
    return view;
  }

  private readCurrent(): LineageView {
    const cur = this.kv.get<{ doc: LineageDoc; updated_at: string }>(CURRENT_KEY);
    if (!cur) return { model: null, generations: [], active: null, canary: null, updated_at: null };
    return {
      ...cur.doc,
      model: cur.doc.model,
      generations: cur.doc.generations,
      active: pointerOf(cur.doc, 'active'),
      canary: pointerOf(cur.doc, 'canary'),
      updated_at: cur.updated_at,
    };
  }

  /** What was known and serving at `at`: generations first seen by then, pointers from the ledger. */
  at(at: string): LineageView {
    const cur = this.kv.get<{ doc: LineageDoc; updated_at: string }>(CURRENT_KEY);
    const model = cur?.doc.model ?? null;
    if (!model) return { model: null, generations: [], active: null, canary: null, updated_at: null, at };
    const active = this.pointerAt(model, 'active', at);
    const canary = this.pointerAt(model, 'canary', at);
    const rows = this.db
      .prepare('SELECT doc FROM lineage_generations WHERE model = ? AND first_seen <= ? ORDER BY created_at, id')
      .all(model, at) as { doc: string }[];
    const generations = rows.map((r) => {
      const g = JSON.parse(r.doc) as Generation;
      // Statuses then are known only for the two pointers; the rest keep their latest status.
      if (g.id === active) return { ...g, status: 'active' as const };
      if (g.id === canary) return { ...g, status: 'canary' as const };
      if (g.status === 'active' || g.status === 'canary') return { ...g, status: 'retired' as const };
      return g;
    });
    return { model, generations, active, canary, updated_at: cur?.updated_at ?? null, at };
  }

  countByStatus(): Record<string, number> {
    const view = this.current();
    const out: Record<string, number> = Object.fromEntries(GENERATION_STATUSES.map((s) => [s, 0]));
    for (const g of view.generations) out[g.status] = (out[g.status] ?? 0) + 1;
    return out;
  }
}
