import type { Migration } from './index';

export const migration009Fleet: Migration = {
  version: 9,
  name: 'fleet: the hub’s copy of every node’s events, the nodes it has seen, fleet plans and their keys',
  sql: `
-- The hub's feed: every node's events as the durable consumer delivered them. The event id is the
-- dedup key (a redelivery after a crash between commit and ack is ignored); seq is the hub's own order.
CREATE TABLE fleet_events (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  id          TEXT NOT NULL UNIQUE,
  ts          TEXT NOT NULL,
  node        TEXT NOT NULL,
  source      TEXT NOT NULL,
  kind        TEXT NOT NULL,
  severity    INTEGER NOT NULL,
  subject     TEXT NOT NULL,
  data        TEXT NOT NULL,
  trace_id    TEXT NOT NULL,
  actor       TEXT,
  stream_seq  INTEGER NOT NULL,
  received_at TEXT NOT NULL
);
CREATE INDEX fleet_events_node_seq ON fleet_events (node, seq);
CREATE INDEX fleet_events_source_seq ON fleet_events (source, seq);
CREATE INDEX fleet_events_ts ON fleet_events (ts);

-- Every node the hub has seen a membership record of, with the last one: a node whose record expired
-- from the KV bucket is still listed (gone) with what it last said.
CREATE TABLE fleet_nodes (
  node         TEXT PRIMARY KEY,
  record       TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);

-- Fleet kill and release plans: the per-node diff shown, bound to the fleet state's KV revision.
CREATE TABLE fleet_plans (
  id           TEXT PRIMARY KEY,
  action       TEXT NOT NULL,
  selector     TEXT NOT NULL,
  revision     INTEGER NOT NULL,
  nodes        TEXT NOT NULL,
  actor        TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  applied_revision INTEGER,
  applied_at   TEXT,
  reason       TEXT
);

CREATE TABLE fleet_idempotency (
  owner        TEXT NOT NULL,
  key          TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  plan_id      TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  PRIMARY KEY (owner, key)
);
`,
};
