import type { Migration } from './index';

export const migration003BusAgents: Migration = {
  version: 3,
  name: 'bus outbox cursor; agents, tasks and task dependencies',
  sql: `
-- The outbox cursor: the last event seq JetStream acknowledged. One row per stream.
CREATE TABLE bus_outbox (
  stream      TEXT PRIMARY KEY,
  last_seq    INTEGER NOT NULL,
  last_id     TEXT,
  published   INTEGER NOT NULL DEFAULT 0,
  updated_at  TEXT NOT NULL
);

CREATE TABLE agents (
  name                TEXT PRIMARY KEY,
  capabilities        TEXT NOT NULL,
  priority_score      REAL NOT NULL DEFAULT 0,
  status              TEXT NOT NULL CHECK (status IN ('idle', 'busy', 'offline', 'down')),
  max_tasks           INTEGER NOT NULL,
  heartbeat_window_s  REAL NOT NULL,
  last_heartbeat      TEXT NOT NULL,
  performance         TEXT NOT NULL DEFAULT '{}',
  metadata            TEXT NOT NULL DEFAULT '{}',
  registered_at       TEXT NOT NULL,
  updated_at          TEXT NOT NULL
);
CREATE INDEX agents_status ON agents (status);

CREATE TABLE tasks (
  id                     INTEGER PRIMARY KEY AUTOINCREMENT,
  title                  TEXT NOT NULL,
  description            TEXT NOT NULL DEFAULT '',
  priority               INTEGER NOT NULL DEFAULT 0,
  category               TEXT,
  estimated_duration     REAL,
  required_capabilities  TEXT NOT NULL DEFAULT '[]',
  status                 TEXT NOT NULL CHECK (status IN ('queued', 'assigned', 'in_progress', 'done', 'failed', 'cancelled')),
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
  updated_at             TEXT NOT NULL
);
CREATE INDEX tasks_queue ON tasks (status, priority DESC, id);
CREATE INDEX tasks_agent ON tasks (agent, status);

CREATE TABLE task_dependencies (
  task_id     INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  depends_on  INTEGER NOT NULL REFERENCES tasks (id),
  PRIMARY KEY (task_id, depends_on)
);
CREATE INDEX task_dependencies_on ON task_dependencies (depends_on);
`,
};
