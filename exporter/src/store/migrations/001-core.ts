import type { Migration } from './index';

export const migration001Core: Migration = {
  version: 1,
  name: 'core: events, lineage and its pointer ledger, artifacts, telemetry, key-value state',
  sql: `
CREATE TABLE events (
  seq       INTEGER PRIMARY KEY AUTOINCREMENT,
  id        TEXT NOT NULL UNIQUE,
  ts        TEXT NOT NULL,
  node      TEXT NOT NULL,
  source    TEXT NOT NULL,
  kind      TEXT NOT NULL,
  severity  INTEGER NOT NULL,
  subject   TEXT NOT NULL,
  data      TEXT NOT NULL,
  trace_id  TEXT NOT NULL,
  actor     TEXT
);
CREATE INDEX events_source_seq ON events (source, seq);
CREATE INDEX events_ts ON events (ts);

CREATE TABLE lineage_generations (
  model       TEXT NOT NULL,
  id          TEXT NOT NULL,
  parent      TEXT,
  created_at  TEXT,
  status      TEXT NOT NULL,
  doc         TEXT NOT NULL,
  first_seen  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (model, id)
);

-- Append-only: every move of the active or canary pointer, who moved it and why.
CREATE TABLE lineage_pointer_moves (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  ts          TEXT NOT NULL,
  model       TEXT NOT NULL,
  pointer     TEXT NOT NULL CHECK (pointer IN ('active', 'canary')),
  generation  TEXT,
  previous    TEXT,
  actor       TEXT,
  reason      TEXT,
  source      TEXT NOT NULL
);
CREATE INDEX lineage_pointer_moves_ts ON lineage_pointer_moves (model, pointer, ts);

CREATE TABLE artifacts (
  id           TEXT PRIMARY KEY,
  kind         TEXT NOT NULL,
  generation   TEXT NOT NULL,
  name         TEXT NOT NULL,
  rel_path     TEXT NOT NULL UNIQUE,
  content_type TEXT NOT NULL,
  size         INTEGER NOT NULL,
  mtime_ms     INTEGER NOT NULL,
  etag         TEXT NOT NULL,
  meta         TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);
CREATE INDEX artifacts_generation ON artifacts (kind, generation);

CREATE TABLE telemetry_latest (
  name    TEXT PRIMARY KEY,
  value   REAL NOT NULL,
  ts      TEXT NOT NULL,
  labels  TEXT NOT NULL,
  origin  TEXT NOT NULL
);

CREATE TABLE telemetry_samples (
  seq    INTEGER PRIMARY KEY AUTOINCREMENT,
  ts     TEXT NOT NULL,
  name   TEXT NOT NULL,
  value  REAL NOT NULL
);
CREATE INDEX telemetry_samples_name_ts ON telemetry_samples (name, ts);

-- What the watcher last ingested per file: the reconciliation scan compares the tree with this.
CREATE TABLE watched_files (
  rel_path    TEXT PRIMARY KEY,
  classifier  TEXT NOT NULL,
  size        INTEGER NOT NULL,
  mtime_ms    INTEGER NOT NULL,
  status      TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);

CREATE TABLE kv (
  key         TEXT PRIMARY KEY,
  value       TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
`,
};
