import type { Migration } from './index';

/**
 * The task queue recovers on its own: per-task max attempts, a retry time (backoff), a lease on the
 * tasks an agent holds, a dead-letter status with the last error, and one row per attempt (who ran
 * it, how it ended) from which the per-agent success ratio is read. Agents can be drained.
 *
 * The status CHECK gains `dead_letter` and loses `failed` (a failure is now an attempt's outcome:
 * the task is retried or dead-lettered), so `tasks` is rebuilt. `task_dependencies` references it
 * with ON DELETE CASCADE and migrations run with foreign keys on, so it is set aside first and put
 * back after (dropping `tasks` under it would delete every dependency). A task stored as `failed`
 * by an older build had no automatic retry: it becomes a dead letter, requeueable like any other.
 */
export const migration008TaskRecovery: Migration = {
  version: 8,
  name: 'task queue recovery: attempts, backoff, lease, dead letter; agent drain',
  sql: `
CREATE TEMP TABLE task_dependencies_keep AS SELECT task_id, depends_on FROM task_dependencies;
CREATE TEMP TABLE tasks_seq_keep AS SELECT seq FROM sqlite_sequence WHERE name = 'tasks';
DROP TABLE task_dependencies;

CREATE TABLE tasks_new (
  id                     INTEGER PRIMARY KEY AUTOINCREMENT,
  title                  TEXT NOT NULL,
  description            TEXT NOT NULL DEFAULT '',
  priority               INTEGER NOT NULL DEFAULT 0,
  category               TEXT,
  estimated_duration     REAL,
  required_capabilities  TEXT NOT NULL DEFAULT '[]',
  status                 TEXT NOT NULL CHECK (status IN ('queued', 'assigned', 'in_progress', 'done', 'cancelled', 'dead_letter')),
  agent                  TEXT,
  created_by             TEXT,
  created_at             TEXT NOT NULL,
  queued_at              TEXT NOT NULL,
  assigned_at            TEXT,
  started_at             TEXT,
  completed_at           TEXT,
  actual_duration        REAL,
  result                 TEXT,
  requeues               INTEGER NOT NULL DEFAULT 0,
  updated_at             TEXT NOT NULL,
  max_attempts           INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
  attempts               INTEGER NOT NULL DEFAULT 0,
  failures               INTEGER NOT NULL DEFAULT 0,
  retry_at               TEXT,
  lease_expires_at       TEXT,
  last_error             TEXT
);
INSERT INTO tasks_new (id, title, description, priority, category, estimated_duration, required_capabilities, status,
  agent, created_by, created_at, queued_at, assigned_at, started_at, completed_at, actual_duration, result, requeues,
  updated_at, attempts, failures, last_error)
SELECT id, title, description, priority, category, estimated_duration, required_capabilities,
  CASE status WHEN 'failed' THEN 'dead_letter' ELSE status END,
  agent, created_by, created_at, queued_at, assigned_at, started_at, completed_at, actual_duration, result, requeues,
  updated_at,
  CASE WHEN assigned_at IS NOT NULL OR status IN ('done', 'failed') THEN 1 ELSE 0 END,
  CASE status WHEN 'failed' THEN 1 ELSE 0 END,
  CASE status WHEN 'failed' THEN 'failed before automatic retries existed' ELSE NULL END
FROM tasks;
DROP TABLE tasks;
ALTER TABLE tasks_new RENAME TO tasks;
-- AUTOINCREMENT: never hand out an id the old table had used.
UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT seq FROM tasks_seq_keep), 0)) WHERE name = 'tasks';
CREATE INDEX tasks_queue ON tasks (status, priority DESC, id);
CREATE INDEX tasks_agent ON tasks (agent, status);
CREATE INDEX tasks_lease ON tasks (lease_expires_at) WHERE lease_expires_at IS NOT NULL;

CREATE TABLE task_dependencies (
  task_id     INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  depends_on  INTEGER NOT NULL REFERENCES tasks (id),
  PRIMARY KEY (task_id, depends_on)
);
CREATE INDEX task_dependencies_on ON task_dependencies (depends_on);
INSERT INTO task_dependencies (task_id, depends_on) SELECT task_id, depends_on FROM task_dependencies_keep;
DROP TABLE task_dependencies_keep;
DROP TABLE tasks_seq_keep;

-- One row per attempt: an assignment and how it ended. outcome is NULL while the agent holds the task.
CREATE TABLE task_attempts (
  task_id     INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  attempt     INTEGER NOT NULL,
  agent       TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  ended_at    TEXT,
  outcome     TEXT CHECK (outcome IN ('done', 'failed', 'lease_expired', 'agent_down', 'returned', 'cancelled')),
  error       TEXT,
  retry_at    TEXT,
  PRIMARY KEY (task_id, attempt)
);
CREATE INDEX task_attempts_ended ON task_attempts (ended_at) WHERE ended_at IS NOT NULL;

ALTER TABLE agents ADD COLUMN draining INTEGER NOT NULL DEFAULT 0;
`,
};
