import type { Migration } from './index';

/**
 * Guardian backtests and shadow mode (issue 16).
 *
 * - `guardrails` gains `shadow`: a shadow rule latches its own guardrail (so promoting it out of shadow
 *   starts it unlatched); the key becomes (rule, shadow).
 * - `telemetry_history_series` + `telemetry_history`: every workload series' values with their receipt
 *   time (epoch ms, the sidecar's clock the guardian judges freshness by), labeled ones included, so a
 *   backtest reads what the live guardian read. Series id 0 is the snapshot marker: one row per accepted
 *   snapshot (value = samples kept), what `telemetry_stale` rules read. Bounded by age, rows and series.
 * - `backtest_runs` (status, request, summary) and `backtest_results` (the result, written once when a
 *   run ends, in the same transaction as its final status: a cancelled run leaves no result).
 * - `action_plans.evidence`: what a plan shows besides its changes (policy_apply: the rule diff and the
 *   backtest of the candidate policy).
 */
export const migration010Backtest: Migration = {
  version: 10,
  name: 'guardian backtests: telemetry history, shadow guardrails, backtest runs and results, plan evidence',
  sql: `
CREATE TABLE guardrails_v10 (
  rule         TEXT NOT NULL,
  shadow       INTEGER NOT NULL DEFAULT 0 CHECK (shadow IN (0, 1)),
  latched_at   TEXT NOT NULL,
  incident_id  TEXT,
  triggers     INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (rule, shadow)
);
INSERT INTO guardrails_v10 (rule, shadow, latched_at, incident_id, triggers)
  SELECT rule, 0, latched_at, incident_id, triggers FROM guardrails;
DROP TABLE guardrails;
ALTER TABLE guardrails_v10 RENAME TO guardrails;

CREATE TABLE telemetry_history_series (
  sid     INTEGER PRIMARY KEY,
  name    TEXT NOT NULL,
  series  TEXT NOT NULL,
  labels  TEXT NOT NULL,
  type    TEXT NOT NULL CHECK (type IN ('gauge', 'counter')),
  last_t  INTEGER NOT NULL,
  UNIQUE (name, series)
);
INSERT INTO telemetry_history_series (sid, name, series, labels, type, last_t) VALUES (0, '(snapshot)', '', '{}', 'gauge', 0);

CREATE TABLE telemetry_history (
  t      INTEGER NOT NULL,
  sid    INTEGER NOT NULL,
  value  REAL NOT NULL,
  PRIMARY KEY (t, sid)
) WITHOUT ROWID;

CREATE TABLE backtest_runs (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  id              TEXT NOT NULL UNIQUE,
  status          TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'partial', 'failed', 'cancelled')),
  actor           TEXT NOT NULL,
  source          TEXT NOT NULL CHECK (source IN ('store', 'prometheus')),
  range_from      TEXT NOT NULL,
  range_to        TEXT NOT NULL,
  tick_ms         INTEGER NOT NULL,
  rules_from      TEXT NOT NULL,
  policy_version  TEXT NOT NULL,
  request         TEXT NOT NULL,
  ticks_total     INTEGER NOT NULL,
  ticks_done      INTEGER NOT NULL DEFAULT 0,
  summary         TEXT,
  error           TEXT,
  created_at      TEXT NOT NULL,
  finished_at     TEXT
);
CREATE INDEX backtest_runs_created ON backtest_runs (created_at);

CREATE TABLE backtest_results (
  run_id  TEXT PRIMARY KEY,
  result  TEXT NOT NULL
);

ALTER TABLE action_plans ADD COLUMN evidence TEXT;
`,
};
