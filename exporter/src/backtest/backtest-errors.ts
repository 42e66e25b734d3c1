/** Thrown when the rule set of a backtest reads a signal the sidecar does not know; problems carry paths. */
export class UnknownSignalError extends Error {
  override name = 'UnknownSignalError';
  constructor(readonly problems: { path: string; message: string; code: string }[]) {
    super(
      `${problems[0]!.path}: ${problems[0]!.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`
    );
  }
}

/** Thrown for a range longer than backtest.max_range, or more ticks than backtest.max_ticks. */
export class RangeTooLongError extends Error {
  override name = 'RangeTooLongError';
  constructor(
    message: string,
    readonly details: { requested_ms: number; max_range_ms: number; ticks: number; max_ticks: number }
  ) {
    super(message);
  }
}

/** Thrown when a backtest is asked for while another one runs (one at a time). */
export class BacktestBusyError extends Error {
  override name = 'BacktestBusyError';
  constructor(readonly running: string) {
    super(`backtest ${running} is running; one backtest runs at a time (cancel it or wait for it)`);
  }
}

/** Thrown when a run has no result to show: it is still running, was cancelled or failed. */
export class NoResultError extends Error {
  override name = 'NoResultError';
  constructor(
    readonly id: string,
    readonly status: string
  ) {
    super(
      status === 'running'
        ? `backtest ${id} is still running; its result is written when it ends`
        : `backtest ${id} ${status === 'cancelled' ? 'was cancelled' : 'failed'}: it has no result`
    );
  }
}

/** Thrown to cancel a running backtest; nothing of its result is written. */
export class BacktestCancelledError extends Error {
  override name = 'BacktestCancelledError';
}

/**
 * A history source that stopped answering mid-run (Prometheus down, slow past its timeout, an error
 * answer): the run ends as `partial`, its result marked with the reason and how far it got.
 */
export class HistorySourceError extends Error {
  override name = 'HistorySourceError';
}

/** Thrown when the rules to backtest do not validate; problems carry their paths. */
export class CandidateInvalidError extends Error {
  override name = 'CandidateInvalidError';
  constructor(
    /** policy_invalid for a policy text (paths inside the policy), invalid_request for the request's own fields. */
    readonly code: 'policy_invalid' | 'invalid_request',
    readonly problems: { path: string; message: string; code: string }[]
  ) {
    super(
      `${problems[0]!.path}: ${problems[0]!.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`
    );
  }
}

/** Thrown for a run id that does not exist (any more). */
export class BacktestNotFoundError extends Error {
  override name = 'BacktestNotFoundError';
}

/** Thrown when cancelling a run that already ended. */
export class BacktestEndedError extends Error {
  override name = 'BacktestEndedError';
}
