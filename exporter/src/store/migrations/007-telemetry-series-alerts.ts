import type { Migration } from './index';

/**
 * Labeled workload telemetry and the Alertmanager loop (issue 13).
 *
 * - `telemetry_series`: the latest value of every workload series, labeled or not, with its type
 *   (gauge or counter). `series` is the canonical label text (`venue="CME"`; '' for an unlabeled
 *   series). It replaces `telemetry_latest`, whose rows are copied as unlabeled gauges.
 * - `alert_notifications`: one row per Alertmanager alert (fingerprint + startsAt), so a replayed or
 *   repeated notification changes nothing, and a resolved one finds the incident its firing opened.
 */
export const migration007TelemetrySeriesAlerts: Migration = {
  version: 7,
  name: 'labeled telemetry series; Alertmanager notifications',
  sql: `
CREATE TABLE telemetry_series (
  name    TEXT NOT NULL,
  series  TEXT NOT NULL,
  labels  TEXT NOT NULL,
  type    TEXT NOT NULL CHECK (type IN ('gauge', 'counter')),
  value   REAL NOT NULL,
  ts      TEXT NOT NULL,
  PRIMARY KEY (name, series)
) WITHOUT ROWID;
INSERT INTO telemetry_series (name, series, labels, type, value, ts)
  SELECT name, '', '{}', 'gauge', value, ts FROM telemetry_latest;
DROP TABLE telemetry_latest;

CREATE TABLE alert_notifications (
  fingerprint   TEXT NOT NULL,
  starts_at     TEXT NOT NULL,
  alertname     TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
  incident_id   TEXT,
  labels        TEXT NOT NULL,
  annotations   TEXT NOT NULL,
  ends_at       TEXT,
  received_at   TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  PRIMARY KEY (fingerprint, starts_at)
);
CREATE INDEX alert_notifications_incident ON alert_notifications (incident_id);
`,
};
