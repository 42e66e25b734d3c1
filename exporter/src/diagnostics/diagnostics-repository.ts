import type { Db } from '../store/database';
import {
  type Diagnostic,
  type DiagnosticComment,
  type DiagnosticSeverity,
  type DiagnosticStatus,
  type FieldChange,
  type HistoryEntry,
  type IncidentLink,
  type SortField,
  type SortOrder,
  ACTIVE_STATUSES,
  DIAGNOSTIC_SEVERITIES,
  severityOfRank,
  severityRankOf,
} from './diagnostic';

interface DiagnosticRow extends Omit<Diagnostic, 'severity' | 'tags'> {
  severity: number;
}

interface HistoryRow extends Omit<HistoryEntry, 'changes'> {
  changes: string;
}

/** What a new row needs; the repository fills nothing in (the service owns clocks and actors). */
export type NewDiagnostic = Omit<Diagnostic, 'id'>;

/** Columns an update may set (tags are a separate call). */
export type DiagnosticColumns = Partial<Omit<Diagnostic, 'id' | 'tags' | 'created_at' | 'created_by' | 'origin'>>;

/** Where the last row of a page stood in the sort; the next page starts after it. */
export interface ListPosition {
  key: string | number;
  id: number;
}

export interface DiagnosticListQuery {
  statuses?: readonly DiagnosticStatus[];
  severities?: readonly DiagnosticSeverity[];
  assignees?: readonly string[];
  /** true: only diagnostics without an assignee. */
  unassigned?: boolean;
  /** Every listed tag must be present. */
  tags?: readonly string[];
  components?: readonly string[];
  /** Whitespace-separated terms; each must occur in the title or the description (ASCII case-insensitive). */
  q?: string;
  /** With `now`: true = only overdue (active and due before now), false = only not overdue. */
  overdue?: boolean;
  now: string;
  sort: SortField;
  order: SortOrder;
  after?: ListPosition;
  limit: number;
}

const COLUMNS = [
  'title',
  'description',
  'severity',
  'status',
  'assignee',
  'due_at',
  'component',
  'roadmap_url',
  'origin',
  'rule',
  'node',
  'created_by',
  'created_at',
  'updated_at',
  'resolved_at',
  'closed_at',
  'due_soon_notified_at',
  'overdue_notified_at',
] as const;

const UPDATABLE = new Set<string>(COLUMNS.filter((c) => !['created_at', 'created_by', 'origin'].includes(c)));

const ACTIVE_SQL = `status IN (${ACTIVE_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/** The sort key expression. NULL due dates sort last in either direction. */
function sortExpr(sort: SortField, order: SortOrder): string {
  if (sort === 'due_at') return order === 'asc' ? "COALESCE(due_at, '~')" : "COALESCE(due_at, '')";
  return sort;
}

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Diagnostics and their tags, comments, history and incident links. Plain objects out. */
export class DiagnosticsRepository {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly tagsOfStmt;
  private readonly deleteTagsStmt;
  private readonly insertTagStmt;
  private readonly insertCommentStmt;
  private readonly commentsStmt;
  private readonly commentCountStmt;
  private readonly insertHistoryStmt;
  private readonly historyStmt;
  private readonly insertLinkStmt;
  private readonly linkStmt;
  private readonly linksOfStmt;
  private readonly resolveLinkStmt;
  private readonly activeForRuleStmt;
  private readonly activeBySeverityStmt;
  private readonly overdueCountStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO diagnostics (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`
    );
    this.getStmt = db.prepare('SELECT * FROM diagnostics WHERE id = ?');
    this.tagsOfStmt = db.prepare('SELECT tag FROM diagnostic_tags WHERE diagnostic_id = ? ORDER BY tag').pluck();
    this.deleteTagsStmt = db.prepare('DELETE FROM diagnostic_tags WHERE diagnostic_id = ?');
    this.insertTagStmt = db.prepare('INSERT OR IGNORE INTO diagnostic_tags (diagnostic_id, tag) VALUES (?, ?)');
    this.insertCommentStmt = db.prepare(
      'INSERT INTO diagnostic_comments (diagnostic_id, ts, author, body, kind) VALUES (?, ?, ?, ?, ?)'
    );
    this.commentsStmt = db.prepare('SELECT * FROM diagnostic_comments WHERE diagnostic_id = ? ORDER BY id');
    this.commentCountStmt = db.prepare('SELECT COUNT(*) FROM diagnostic_comments WHERE diagnostic_id = ?').pluck();
    this.insertHistoryStmt = db.prepare(
      'INSERT INTO diagnostic_history (diagnostic_id, ts, actor, action, changes, note) VALUES (?, ?, ?, ?, ?, ?)'
    );
    this.historyStmt = db.prepare('SELECT * FROM diagnostic_history WHERE diagnostic_id = ? ORDER BY seq');
    // Read on every /metrics scrape and status build.
    this.activeBySeverityStmt = db.prepare(
      `SELECT severity, COUNT(*) AS n FROM diagnostics WHERE ${ACTIVE_SQL} GROUP BY severity`
    );
    this.overdueCountStmt = db
      .prepare(`SELECT COUNT(*) FROM diagnostics WHERE ${ACTIVE_SQL} AND due_at IS NOT NULL AND due_at < ?`)
      .pluck();
    this.insertLinkStmt = db.prepare(
      `INSERT INTO diagnostic_incidents (incident_id, diagnostic_id, rule, node, severity, title, linked_at)
       VALUES (@incident_id, @diagnostic_id, @rule, @node, @severity, @title, @linked_at)`
    );
    this.linkStmt = db.prepare('SELECT * FROM diagnostic_incidents WHERE incident_id = ?');
    this.linksOfStmt = db.prepare(
      'SELECT * FROM diagnostic_incidents WHERE diagnostic_id = ? ORDER BY linked_at, incident_id'
    );
    this.resolveLinkStmt = db.prepare(
      'UPDATE diagnostic_incidents SET resolved_at = ?, resolved_by = ?, resolution_note = ? WHERE incident_id = ?'
    );
    this.activeForRuleStmt = db.prepare(
      `SELECT * FROM diagnostics WHERE rule = ? AND node = ? AND ${ACTIVE_SQL} ORDER BY id LIMIT 1`
    );
  }

  private toDiagnostic(row: DiagnosticRow, tags?: string[]): Diagnostic {
    return { ...row, severity: severityOfRank(row.severity), tags: tags ?? (this.tagsOfStmt.all(row.id) as string[]) };
  }

  /** Inserts a diagnostic with its tags; returns its id. Run inside a transaction with the history entry. */
  insert(d: NewDiagnostic): number {
    const row: Record<string, unknown> = {};
    for (const c of COLUMNS) row[c] = c === 'severity' ? severityRankOf(d.severity) : d[c];
    const id = Number(this.insertStmt.run(row).lastInsertRowid);
    for (const t of d.tags) this.insertTagStmt.run(id, t);
    return id;
  }

  get(id: number): Diagnostic | undefined {
    const row = this.getStmt.get(id) as DiagnosticRow | undefined;
    return row ? this.toDiagnostic(row) : undefined;
  }

  update(id: number, cols: DiagnosticColumns): void {
    const entries = Object.entries(cols).filter(([k, v]) => v !== undefined && UPDATABLE.has(k));
    if (!entries.length) return;
    const sets = entries.map(([k]) => `${k} = @${k}`).join(', ');
    const args: Record<string, unknown> = { id };
    for (const [k, v] of entries) args[k] = k === 'severity' ? severityRankOf(v as DiagnosticSeverity) : v;
    this.db.prepare(`UPDATE diagnostics SET ${sets} WHERE id = @id`).run(args);
  }

  setTags(id: number, tags: readonly string[]): void {
    this.deleteTagsStmt.run(id);
    for (const t of tags) this.insertTagStmt.run(id, t);
  }

  addComment(c: Omit<DiagnosticComment, 'id'>): DiagnosticComment {
    const id = Number(this.insertCommentStmt.run(c.diagnostic_id, c.ts, c.author, c.body, c.kind).lastInsertRowid);
    return { id, ...c };
  }

  comments(diagnosticId: number): DiagnosticComment[] {
    return this.commentsStmt.all(diagnosticId) as DiagnosticComment[];
  }

  commentCount(diagnosticId: number): number {
    return this.commentCountStmt.get(diagnosticId) as number;
  }

  addHistory(e: {
    diagnostic_id: number;
    ts: string;
    actor: string;
    action: string;
    changes: Record<string, FieldChange>;
    note?: string | null;
  }): void {
    this.insertHistoryStmt.run(e.diagnostic_id, e.ts, e.actor, e.action, JSON.stringify(e.changes), e.note ?? null);
  }

  history(diagnosticId: number): HistoryEntry[] {
    return (this.historyStmt.all(diagnosticId) as HistoryRow[]).map((r) => ({
      ...r,
      changes: JSON.parse(r.changes) as Record<string, FieldChange>,
    }));
  }

  linkIncident(link: Omit<IncidentLink, 'resolved_at' | 'resolved_by' | 'resolution_note'>): void {
    this.insertLinkStmt.run(link);
  }

  incidentLink(incidentId: string): IncidentLink | undefined {
    return this.linkStmt.get(incidentId) as IncidentLink | undefined;
  }

  incidentsOf(diagnosticId: number): IncidentLink[] {
    return this.linksOfStmt.all(diagnosticId) as IncidentLink[];
  }

  resolveIncidentLink(incidentId: string, ts: string, by: string | null, note: string | null): void {
    this.resolveLinkStmt.run(ts, by, note, incidentId);
  }

  /** The oldest open or in-progress diagnostic for a rule on a node (a new incident joins it). */
  activeForRule(rule: string, node: string): Diagnostic | undefined {
    const row = this.activeForRuleStmt.get(rule, node) as DiagnosticRow | undefined;
    return row ? this.toDiagnostic(row) : undefined;
  }

  /** One page in the requested order, keyset-paged on (sort key, id). Returns `limit` rows at most. */
  list(q: DiagnosticListQuery): { rows: Diagnostic[]; keys: (string | number)[] } {
    const where: string[] = [];
    const args: unknown[] = [];
    const inList = (col: string, values: readonly unknown[]): void => {
      where.push(`${col} IN (${values.map(() => '?').join(', ')})`);
      args.push(...values);
    };
    if (q.statuses?.length) inList('status', q.statuses);
    if (q.severities?.length) inList('severity', q.severities.map(severityRankOf));
    if (q.components?.length) inList('component', q.components);
    if (q.assignees?.length && q.unassigned) {
      where.push(`(assignee IS NULL OR assignee IN (${q.assignees.map(() => '?').join(', ')}))`);
      args.push(...q.assignees);
    } else if (q.assignees?.length) inList('assignee', q.assignees);
    else if (q.unassigned) where.push('assignee IS NULL');
    if (q.tags?.length) {
      const tags = [...new Set(q.tags)];
      where.push(
        `id IN (SELECT diagnostic_id FROM diagnostic_tags WHERE tag IN (${tags.map(() => '?').join(', ')})
         GROUP BY diagnostic_id HAVING COUNT(*) = ?)`
      );
      args.push(...tags, tags.length);
    }
    for (const term of (q.q ?? '').split(/\s+/).filter(Boolean)) {
      where.push("(title LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\')");
      const pattern = `%${escapeLike(term)}%`;
      args.push(pattern, pattern);
    }
    if (q.overdue === true) {
      where.push(`(${ACTIVE_SQL} AND due_at IS NOT NULL AND due_at < ?)`);
      args.push(q.now);
    } else if (q.overdue === false) {
      where.push(`NOT (${ACTIVE_SQL} AND due_at IS NOT NULL AND due_at < ?)`);
      args.push(q.now);
    }
    const key = sortExpr(q.sort, q.order);
    const cmp = q.order === 'asc' ? '>' : '<';
    if (q.after) {
      where.push(`(${key} ${cmp} ? OR (${key} = ? AND id ${cmp} ?))`);
      args.push(q.after.key, q.after.key, q.after.id);
    }
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    const sql = `SELECT *, ${key} AS sort_key FROM diagnostics ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY ${key} ${dir}, id ${dir} LIMIT ?`;
    args.push(q.limit);
    const rows = this.db.prepare(sql).all(...args) as (DiagnosticRow & { sort_key: string | number })[];
    const tags = this.tagsFor(rows.map((r) => r.id));
    return {
      rows: rows.map(({ sort_key: _k, ...r }) => this.toDiagnostic(r, tags.get(r.id) ?? [])),
      keys: rows.map((r) => r.sort_key),
    };
  }

  private tagsFor(ids: readonly number[]): Map<number, string[]> {
    const out = new Map<number, string[]>();
    // Chunked: SQLite limits bound parameters per statement.
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = this.db
        .prepare(
          `SELECT diagnostic_id, tag FROM diagnostic_tags WHERE diagnostic_id IN (${chunk.map(() => '?').join(', ')}) ORDER BY tag`
        )
        .all(...chunk) as { diagnostic_id: number; tag: string }[];
      for (const r of rows) {
        const list = out.get(r.diagnostic_id) ?? [];
        list.push(r.tag);
        out.set(r.diagnostic_id, list);
      }
    }
    return out;
  }

  /** Open and in-progress diagnostics per severity (every severity present, zero when none). */
  activeBySeverity(): Record<DiagnosticSeverity, number> {
    const out = Object.fromEntries(DIAGNOSTIC_SEVERITIES.map((s) => [s, 0])) as Record<DiagnosticSeverity, number>;
    const rows = this.activeBySeverityStmt.all() as { severity: number; n: number }[];
    for (const r of rows) out[severityOfRank(r.severity)] = r.n;
    return out;
  }

  overdueCount(now: string): number {
    return this.overdueCountStmt.get(now) as number;
  }

  /** Active diagnostics due before `until` not yet notified for `kind`. */
  dueForNotice(kind: 'due_soon' | 'overdue', now: string, until: string): Diagnostic[] {
    const sql =
      kind === 'overdue'
        ? `SELECT * FROM diagnostics WHERE ${ACTIVE_SQL} AND due_at IS NOT NULL AND due_at < ? AND overdue_notified_at IS NULL ORDER BY due_at, id`
        : `SELECT * FROM diagnostics WHERE ${ACTIVE_SQL} AND due_at IS NOT NULL AND due_at >= ? AND due_at < ? AND due_soon_notified_at IS NULL ORDER BY due_at, id`;
    const rows = (
      kind === 'overdue' ? this.db.prepare(sql).all(now) : this.db.prepare(sql).all(now, until)
    ) as DiagnosticRow[];
    return rows.map((r) => this.toDiagnostic(r));
  }

  /** Resolved diagnostics (resolved_at set), optionally with resolved_at in [since, until). */
  resolved(
    range: { since?: string; until?: string } = {}
  ): Pick<Diagnostic, 'id' | 'severity' | 'component' | 'created_at' | 'resolved_at'>[] {
    const where = ['resolved_at IS NOT NULL'];
    const args: string[] = [];
    if (range.since) {
      where.push('resolved_at >= ?');
      args.push(range.since);
    }
    if (range.until) {
      where.push('resolved_at < ?');
      args.push(range.until);
    }
    const rows = this.db
      .prepare(`SELECT id, severity, component, created_at, resolved_at FROM diagnostics WHERE ${where.join(' AND ')}`)
      .all(...args) as {
      id: number;
      severity: number;
      component: string | null;
      created_at: string;
      resolved_at: string;
    }[];
    return rows.map((r) => ({ ...r, severity: severityOfRank(r.severity) }));
  }

  /** created_at of every diagnostic in [since, until). */
  createdBetween(since: string, until: string): string[] {
    return this.db
      .prepare('SELECT created_at FROM diagnostics WHERE created_at >= ? AND created_at < ?')
      .pluck()
      .all(since, until) as string[];
  }

  count(): number {
    return this.db.prepare('SELECT COUNT(*) FROM diagnostics').pluck().get() as number;
  }
}
