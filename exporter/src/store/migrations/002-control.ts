import type { Migration } from './index';

export const migration002Control: Migration = {
  version: 2,
  name: 'control plane: plans, actions, idempotency keys, incidents, decisions, audit, guardrails, cooldowns, pointer intents',
  sql: `
-- A dry run: what would change and which interlocks would refuse it, bound to a state fingerprint.
CREATE TABLE action_plans (
  id           TEXT PRIMARY KEY,
  action       TEXT NOT NULL,
  params       TEXT NOT NULL,
  state        TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,
  changes      TEXT NOT NULL,
  interlocks   TEXT NOT NULL,
  allowed      INTEGER NOT NULL,
  break_glass  INTEGER NOT NULL DEFAULT 0,
  actor        TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  action_id    TEXT
);
CREATE INDEX action_plans_created ON action_plans (created_at);

CREATE TABLE actions (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT NOT NULL UNIQUE,
  action        TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('planned', 'applying', 'applied', 'verified', 'failed', 'timed_out')),
  trigger       TEXT NOT NULL,
  plan_id       TEXT,
  params        TEXT NOT NULL,
  reason        TEXT NOT NULL,
  actor         TEXT NOT NULL,
  executor      TEXT NOT NULL,
  expect        TEXT,
  result        TEXT,
  error         TEXT,
  verification  TEXT,
  break_glass   INTEGER NOT NULL DEFAULT 0,
  decision_id   TEXT,
  incident_id   TEXT,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  applied_at    TEXT,
  finished_at   TEXT
);
CREATE INDEX actions_action_created ON actions (action, created_at);

-- Keys are scoped to the token that sent them; the hash is of the request that first used the key.
CREATE TABLE idempotency_keys (
  token         TEXT NOT NULL,
  key           TEXT NOT NULL,
  request_hash  TEXT NOT NULL,
  action_id     TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  PRIMARY KEY (token, key)
);

CREATE TABLE incidents (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  id               TEXT NOT NULL UNIQUE,
  rule             TEXT NOT NULL,
  node             TEXT NOT NULL,
  severity         TEXT NOT NULL,
  title            TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
  data             TEXT NOT NULL,
  opened_at        TEXT NOT NULL,
  acknowledged_at  TEXT,
  acknowledged_by  TEXT,
  ack_note         TEXT,
  resolved_at      TEXT,
  resolved_by      TEXT,
  resolve_note     TEXT
);
CREATE INDEX incidents_status ON incidents (status, severity);
CREATE INDEX incidents_opened ON incidents (opened_at);

CREATE TABLE decisions (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT NOT NULL UNIQUE,
  ts            TEXT NOT NULL,
  policy        TEXT NOT NULL,
  policy_type   TEXT NOT NULL,
  rule_version  TEXT NOT NULL,
  verdict       TEXT NOT NULL,
  reason        TEXT NOT NULL,
  action        TEXT,
  action_id     TEXT,
  inputs        TEXT NOT NULL,
  thresholds    TEXT NOT NULL
);
CREATE INDEX decisions_policy_ts ON decisions (policy, ts);

CREATE TABLE audit_log (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  ts            TEXT NOT NULL,
  actor         TEXT NOT NULL,
  token         TEXT,
  grafana_user  TEXT,
  role          TEXT,
  method        TEXT NOT NULL,
  path          TEXT NOT NULL,
  route         TEXT NOT NULL,
  action        TEXT NOT NULL,
  reason        TEXT,
  status        INTEGER NOT NULL,
  result        TEXT NOT NULL,
  request_id    TEXT
);
CREATE INDEX audit_log_ts ON audit_log (ts);

-- A guardrail latches when its rule fires; flush_guardrails clears the latches and the cooldowns.
CREATE TABLE guardrails (
  rule         TEXT PRIMARY KEY,
  latched_at   TEXT NOT NULL,
  incident_id  TEXT,
  triggers     INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE cooldowns (
  key     TEXT PRIMARY KEY,
  until   TEXT NOT NULL,
  set_at  TEXT NOT NULL,
  origin  TEXT NOT NULL
);

-- Who moved a lineage pointer and why: an action registers its intent before it asks the workload,
-- and the ledger entry the watcher then records carries the action's actor and reason.
CREATE TABLE lineage_pointer_intents (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  pointer      TEXT NOT NULL CHECK (pointer IN ('active', 'canary')),
  generation   TEXT NOT NULL,
  actor        TEXT NOT NULL,
  reason       TEXT NOT NULL,
  source       TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  consumed_at  TEXT
);
`,
};
