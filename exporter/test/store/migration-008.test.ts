import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from '../../src/store/database';
import { MIGRATIONS } from '../../src/store/migrations';
import { tempDir } from '../helpers/sidecar';

/**
 * Migration 008 rebuilds `tasks` (its status CHECK changes) under `task_dependencies`, which
 * references it ON DELETE CASCADE, with foreign keys on as the store runs them.
 */
describe('migration 008: task queue recovery', () => {
  it('keeps every task, dependency and id, and turns a failed task into a dead letter', () => {
    const db = new Database(path.join(tempDir('mig8'), 'lookout.sqlite'));
    db.pragma('foreign_keys = ON');
    migrate(
      db,
      MIGRATIONS.filter((m) => m.version < 8)
    );
    const now = '2026-12-01T10:00:00.000Z';
    const insert = db.prepare(
      `INSERT INTO tasks (title, status, agent, created_at, queued_at, assigned_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`
    );
    insert.run('done one', 'done', 'a1', now, now, now, now);
    insert.run('failed one', 'failed', 'a1', now, now, now, now);
    insert.run('waiting', 'queued', null, now, now, null, now);
    insert.run('removed later', 'cancelled', null, now, now, null, now);
    db.prepare('DELETE FROM tasks WHERE id = 4').run();
    db.prepare('INSERT INTO task_dependencies (task_id, depends_on) VALUES (3, 1), (3, 2)').run();
    db.prepare(
      `INSERT INTO agents (name, capabilities, status, max_tasks, heartbeat_window_s, last_heartbeat, registered_at, updated_at)
       VALUES ('a1', '[]', 'idle', 1, 30, ?, ?, ?)`
    ).run(now, now, now);

    migrate(db, MIGRATIONS);

    const tasks = db
      .prepare('SELECT id, status, failures, attempts, max_attempts, last_error FROM tasks ORDER BY id')
      .all();
    expect(tasks).toEqual([
      { id: 1, status: 'done', failures: 0, attempts: 1, max_attempts: 3, last_error: null },
      {
        id: 2,
        status: 'dead_letter',
        failures: 1,
        attempts: 1,
        max_attempts: 3,
        last_error: 'failed before automatic retries existed',
      },
      { id: 3, status: 'queued', failures: 0, attempts: 0, max_attempts: 3, last_error: null },
    ]);
    expect(db.prepare('SELECT task_id, depends_on FROM task_dependencies ORDER BY depends_on').all()).toEqual([
      { task_id: 3, depends_on: 1 },
      { task_id: 3, depends_on: 2 },
    ]);
    // AUTOINCREMENT still skips the deleted id 4.
    const next = insert.run('new', 'queued', null, now, now, null, now).lastInsertRowid;
    expect(Number(next)).toBe(5);
    expect(() => db.prepare("UPDATE tasks SET status = 'failed' WHERE id = 3").run()).toThrow(/CHECK constraint/);
    expect(db.prepare('SELECT draining FROM agents').pluck().get()).toBe(0);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });
});
