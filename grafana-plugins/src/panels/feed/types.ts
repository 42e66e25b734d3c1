import type { FeedName, Severity } from '../../api';

export interface FeedOptions {
  feeds: FeedName[];
  minSeverity: Severity;
  /** Rows kept in memory (the list is virtualized, so this bounds memory, not DOM). */
  maxRows: number;
  /** Polling interval when SSE is unavailable, in seconds. */
  pollSeconds: number;
}

export const DEFAULT_FEED_OPTIONS: FeedOptions = { feeds: ['all'], minSeverity: 'info', maxRows: 5000, pollSeconds: 5 };
