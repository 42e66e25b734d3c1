import { type Db, prepareCached } from '../store/database';

export const BACKTEST_STATUSES = ['running', 'succeeded', 'partial', 'failed', 'cancelled'] as const;
export type BacktestStatus = (typeof BACKTEST_STATUSES)[number];
export const BACKTEST_SOURCES = ['store', 'prometheus'] as const;
export type BacktestSource = (typeof BACKTEST_SOURCES)[number];
export const RULE_SETS = ['running', 'policy', 'rule'] as const;
export type RuleSetKind = (typeof RULE_SETS)[number];

export interface BacktestRun {
  seq: number;
  id: string;
  status: BacktestStatus;
  actor: string;
  source: BacktestSource;
  range_from: string;
  range_to: string;
  tick_ms: number;
  rules_from: RuleSetKind;
  policy_version: string;
  /** What was asked: the rule set (rules and playbooks) and the comparison settings. */
  request: Record<string, unknown>;
  ticks_total: number;
  ticks_done: number;
  summary: Record<string, unknown> | null;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

type Row = Omit<BacktestRun, 'request' | 'summary'> & { request: string; summary: string | null };
const decode = (r: Row): BacktestRun => ({
  ...r,
  request: JSON.parse(r.request) as Record<string, unknown>,
  summary: r.summary === null ? null : (JSON.parse(r.summary) as Record<string, unknown>),
});

/** Backtest runs and their results. A result is written once, with the run's final status. */
export class BacktestRepository {
  constructor(private readonly db: Db) {}

  insert(run: Omit<BacktestRun, 'seq'>): BacktestRun {
    const info = prepareCached(
      this.db,
      `INSERT INTO backtest_runs (id, status, actor, source, range_from, range_to, tick_ms, rules_from, policy_version,
         request, ticks_total, ticks_done, summary, error, created_at, finished_at)
       VALUES (@id, @status, @actor, @source, @range_from, @range_to, @tick_ms, @rules_from, @policy_version,
         @request, @ticks_total, @ticks_done, @summary, @error, @created_at, @finished_at)`
    ).run({
      ...run,
      request: JSON.stringify(run.request),
      summary: run.summary === null ? null : JSON.stringify(run.summary),
    });
    return { ...run, seq: Number(info.lastInsertRowid) };
  }

  get(id: string): BacktestRun | undefined {
    const r = prepareCached(this.db, 'SELECT * FROM backtest_runs WHERE id = ?').get(id) as Row | undefined;
    return r ? decode(r) : undefined;
  }

  list(q: { before?: number; status?: BacktestStatus; limit: number }): BacktestRun[] {
    const where: string[] = [];
    const args: Record<string, unknown> = { limit: q.limit };
    if (q.before !== undefined) {
      where.push('seq < @before');
      args.before = q.before;
    }
    if (q.status) {
      where.push('status = @status');
      args.status = q.status;
    }
    return (
      prepareCached(
        this.db,
        `SELECT * FROM backtest_runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT @limit`
      ).all(args) as Row[]
    ).map(decode);
  }

  /** Ends a run: its status, summary and result in one transaction (a result is never written alone). */
  finish(
    id: string,
    end: {
      status: Exclude<BacktestStatus, 'running'>;
      ticks_done: number;
      summary: Record<string, unknown> | null;
      error: string | null;
      result: Record<string, unknown> | null;
    }
  ): void {
    this.db.transaction(() => {
      prepareCached(
        this.db,
        `UPDATE backtest_runs SET status = @status, ticks_done = @ticks_done, summary = @summary, error = @error,
           finished_at = @finished_at WHERE id = @id`
      ).run({
        id,
        status: end.status,
        ticks_done: end.ticks_done,
        summary: end.summary === null ? null : JSON.stringify(end.summary),
        error: end.error,
        finished_at: new Date().toISOString(),
      });
      if (end.result !== null) {
        prepareCached(this.db, 'INSERT OR REPLACE INTO backtest_results (run_id, result) VALUES (?, ?)').run(
          id,
          JSON.stringify(end.result)
        );
      }
    })();
  }

  result(id: string): Record<string, unknown> | undefined {
    const r = prepareCached(this.db, 'SELECT result FROM backtest_results WHERE run_id = ?').pluck().get(id) as
      string | undefined;
    return r === undefined ? undefined : (JSON.parse(r) as Record<string, unknown>);
  }

  /** Runs left `running` by a sidecar that stopped mid-run: they will never finish. */
  failInterrupted(): number {
    return this.db
      .prepare(
        "UPDATE backtest_runs SET status = 'failed', error = 'interrupted: the sidecar stopped during the run', finished_at = ? WHERE status = 'running'"
      )
      .run(new Date().toISOString()).changes;
  }

  /** Deletes runs (and results) older than `before` or beyond the newest `keep`. Returns runs deleted. */
  prune(before: string, keep: number): number {
    return this.db.transaction(() => {
      const edge = this.db
        .prepare('SELECT seq FROM backtest_runs ORDER BY seq DESC LIMIT 1 OFFSET ?')
        .pluck()
        .get(keep) as number | undefined;
      const where = "status != 'running' AND (created_at < @before OR seq <= @edge)";
      const args = { before, edge: edge ?? -1 };
      this.db
        .prepare(`DELETE FROM backtest_results WHERE run_id IN (SELECT id FROM backtest_runs WHERE ${where})`)
        .run(args);
      return this.db.prepare(`DELETE FROM backtest_runs WHERE ${where}`).run(args).changes;
    })();
  }
}
