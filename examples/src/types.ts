/** Lifecycle status of a model generation, as the sidecar's lineage classifier expects it. */
export type GenerationStatus = 'candidate' | 'canary' | 'active' | 'retired' | 'failed';

/** Offline evaluation KPIs of a generation. */
export interface Kpis {
  sharpe: number;
  hit_rate: number;
  /** Fraction of peak equity, positive (0.12 = 12 %). */
  max_drawdown: number;
  /** Expected calibration error of the policy's confidence, 0–1. */
  calibration_error: number;
  /** Portfolio turnover per day. */
  turnover: number;
}

export interface Generation {
  id: string;
  parent: string | null;
  created_at: string;
  status: GenerationStatus;
  kpis: Kpis;
  /** Paths relative to the workspace root. */
  artifacts: string[];
  notes: string;
}

/** `lineage/lineage_index.json`. */
export interface LineageIndex {
  model: string;
  generations: Generation[];
  /** Ids in the order they became active, oldest first; lets a target-less rollback find the previous one. */
  active_history: string[];
}

export interface TelemetryMetrics {
  drift_score: number;
  policy_confidence: number;
  pnl_realized: number;
  pnl_unrealized: number;
  /** Peak equity (realised + unrealised) minus current equity, 0 or more. */
  pnl_drawdown: number;
  order_fill_ratio: number;
  /** 1 while trading, 0 while killed. */
  state_active: number;
  /** M16: mean reward per decision of the live policy (0 while killed). */
  policy_reward: number;
  /** M16: entropy of the policy's SELL/HOLD/BUY distribution, nats (at most ln 3). */
  policy_entropy: number;
  /** M16: share of closed trades that made money, 0–1. */
  win_rate: number;
  /** M18: annualised volatility of the portfolio's returns, 0–1. */
  portfolio_volatility: number;
}

/** A labeled sample of the snapshot (the sidecar's `samples` form). */
export interface TelemetrySample {
  name: string;
  labels: Record<string, string>;
  value: number;
  type: 'gauge' | 'counter';
}

/** `telemetry/snapshot.json`. */
export interface TelemetrySnapshot {
  ts: string;
  metrics: TelemetryMetrics;
  /**
   * Per-venue and per-symbol series: `venue_latency_ms{venue}`, `venue_orders_total{venue}` (counter),
   * `symbol_position{symbol}`, and M18's `symbol_correlation{symbol}` (with the portfolio).
   */
  samples: TelemetrySample[];
  labels: { model: string; generation: string };
}

/** Metadata written beside each calibration image as `<name>.json`. */
export interface CalibrationMetadata {
  title: string;
  metric: string;
  created_at: string;
  generation: string;
  /** The KPI value the chart illustrates. */
  value: number;
}

export type TaskType = 'analyze' | 'refactor' | 'document' | 'test' | 'process';
export type TaskStatus = 'pending' | 'running' | 'completed' | 'failed';

/** `activity/tasks/<id>.json`. */
export interface TaskRecord {
  id: string;
  type: TaskType;
  status: TaskStatus;
  result: string | null;
}

/** `activity/llm/<model>-<n>.json`. */
export interface LlmRecord {
  model: string;
  prompt: string;
  response: string;
}

/** `activity/propagation/<n>.json`. */
export interface PropagationRecord {
  subsystem: string;
  pattern: string;
  status: string;
}

/** What a command returns; it is also the reply sent on the bus. */
export interface CommandResult {
  ok: boolean;
  message: string;
  data?: Record<string, unknown>;
}
