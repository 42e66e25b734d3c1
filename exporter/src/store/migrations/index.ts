import { migration001Core } from './001-core';
import { migration002Control } from './002-control';
import { migration003BusAgents } from './003-bus-agents';
import { migration004Diagnostics } from './004-diagnostics';
import { migration005AuditIdentity } from './005-audit-identity';
import { migration006OutboxStreamSeq } from './006-outbox-stream-seq';
import { migration007TelemetrySeriesAlerts } from './007-telemetry-series-alerts';
import { migration008TaskRecovery } from './008-task-recovery';
import { migration009Fleet } from './009-fleet';
import { migration010Backtest } from './010-backtest';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Numbered, append-only. Never edit a released migration: add the next number.
 * Reserved: 002 control plane (actions, incidents, decisions, audit), 003 bus outbox + agents/tasks,
 * 004 diagnostics, 005 audit identity (Grafana org and role), 006 the outbox's stream sequence,
 * 007 labeled telemetry series and Alertmanager notifications, 008 task queue recovery (attempts, backoff,
 * lease, dead letter, agent drain), 009 fleet (hub events, nodes, fleet plans), 010 guardian backtests
 * (telemetry history, shadow guardrails, backtest runs, plan evidence).
 */
export const MIGRATIONS: readonly Migration[] = [
  migration001Core,
  migration002Control,
  migration003BusAgents,
  migration004Diagnostics,
  migration005AuditIdentity,
  migration006OutboxStreamSeq,
  migration007TelemetrySeriesAlerts,
  migration008TaskRecovery,
  migration009Fleet,
  migration010Backtest,
];
