export { BacktestService } from './backtest-service';
export type { BacktestDeps, BacktestRequest, BacktestView, RuleSetRequest } from './backtest-service';
export { backtestRoutes, backtestApiError, backtestRequestOf } from './backtest-router';
export { backtestConfigSchema } from './backtest-config';
export type { BacktestConfig } from './backtest-config';
export { BacktestRepository, BACKTEST_STATUSES, BACKTEST_SOURCES } from './backtest-repository';
export type { BacktestRun, BacktestStatus, BacktestSource } from './backtest-repository';
export { compareFires, DIFF_KINDS } from './backtest-compare';
export type { Comparison, DiffItem, DiffKind, RealFire } from './backtest-compare';
export { runEngine } from './backtest-engine';
export type { BacktestFire, EngineOutput, EngineSpec, ReplayInputs } from './backtest-engine';
export { StoreHistory } from './telemetry-history';
export type { TelemetryHistory } from './telemetry-history';
export { PrometheusHistory } from './prometheus-history';
export { backtestResultSchema, backtestRunSchema, createBacktestBody } from './backtest-schemas';
export type { BacktestResult } from './backtest-schemas';
export {
  BacktestBusyError,
  BacktestCancelledError,
  BacktestEndedError,
  BacktestNotFoundError,
  CandidateInvalidError,
  HistorySourceError,
  NoResultError,
  RangeTooLongError,
  UnknownSignalError,
} from './backtest-errors';
