import type { Migration } from './index';

export const migration004Diagnostics: Migration = {
  version: 4,
  name: 'diagnostics: tracker, tags, comments, history, incident links',
  sql: `
CREATE TABLE diagnostics (
  id                    INTEGER PRIMARY KEY AUTOINCREMENT,
  title                 TEXT NOT NULL,
  description           TEXT NOT NULL DEFAULT '',
  -- Rank of the severity (0 info, 1 warning, 2 critical): sorts and filters by index.
  severity              INTEGER NOT NULL,
  status                TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'resolved', 'closed')),
  assignee              TEXT,
  due_at                TEXT,
  component             TEXT,
  roadmap_url           TEXT,
  origin                TEXT NOT NULL CHECK (origin IN ('api', 'guardian')),
  rule                  TEXT,
  node                  TEXT,
  created_by            TEXT NOT NULL,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  resolved_at           TEXT,
  closed_at             TEXT,
  -- Each notification is sent once per due date; changing due_at clears both.
  due_soon_notified_at  TEXT,
  overdue_notified_at   TEXT
);
CREATE INDEX diagnostics_status ON diagnostics (status, severity);
CREATE INDEX diagnostics_created ON diagnostics (created_at, id);
CREATE INDEX diagnostics_updated ON diagnostics (updated_at, id);
CREATE INDEX diagnostics_due ON diagnostics (due_at, id);
CREATE INDEX diagnostics_severity ON diagnostics (severity, id);
CREATE INDEX diagnostics_assignee ON diagnostics (assignee);
CREATE INDEX diagnostics_resolved ON diagnostics (resolved_at);
CREATE INDEX diagnostics_rule_node ON diagnostics (rule, node, status) WHERE rule IS NOT NULL;

CREATE TABLE diagnostic_tags (
  diagnostic_id  INTEGER NOT NULL REFERENCES diagnostics (id) ON DELETE CASCADE,
  tag            TEXT NOT NULL,
  PRIMARY KEY (diagnostic_id, tag)
);
CREATE INDEX diagnostic_tags_tag ON diagnostic_tags (tag, diagnostic_id);

CREATE TABLE diagnostic_comments (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  diagnostic_id  INTEGER NOT NULL REFERENCES diagnostics (id) ON DELETE CASCADE,
  ts             TEXT NOT NULL,
  author         TEXT NOT NULL,
  body           TEXT NOT NULL,
  -- 'user' for people, 'system' for notes the sidecar writes (incident resolved, linked).
  kind           TEXT NOT NULL CHECK (kind IN ('user', 'system'))
);
CREATE INDEX diagnostic_comments_diag ON diagnostic_comments (diagnostic_id, id);

-- Append-only: who changed what and when. changes = { field: { from, to } }.
CREATE TABLE diagnostic_history (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  diagnostic_id  INTEGER NOT NULL REFERENCES diagnostics (id) ON DELETE CASCADE,
  ts             TEXT NOT NULL,
  actor          TEXT NOT NULL,
  action         TEXT NOT NULL,
  changes        TEXT NOT NULL,
  note           TEXT
);
CREATE INDEX diagnostic_history_diag ON diagnostic_history (diagnostic_id, seq);

-- One row per guardian incident that opened or joined a diagnostic; incident_id is the dedup key.
CREATE TABLE diagnostic_incidents (
  incident_id    TEXT PRIMARY KEY,
  diagnostic_id  INTEGER NOT NULL REFERENCES diagnostics (id) ON DELETE CASCADE,
  rule           TEXT NOT NULL,
  node           TEXT NOT NULL,
  severity       TEXT NOT NULL,
  title          TEXT NOT NULL,
  linked_at      TEXT NOT NULL,
  resolved_at    TEXT,
  resolved_by    TEXT,
  resolution_note TEXT
);
CREATE INDEX diagnostic_incidents_diag ON diagnostic_incidents (diagnostic_id);
`,
};
