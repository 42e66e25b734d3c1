import { DEFAULT_NODE } from '../nodeOption';
import type { FeedName, Severity } from '../../api';

export interface FeedOptions {
  /**
   * Which node's events (data/nodeChoice.ts): empty for the sidecar the app talks to; a node, several, or every node
   * (`${node:csv}` with All) read the hub's fleet feed.
   */
  node: string;
  feeds: FeedName[];
  minSeverity: Severity;
  /** Rows kept in memory (the list is virtualized, so this bounds memory, not DOM). */
  maxRows: number;
  /** Polling interval when SSE is unavailable, in seconds. */
  pollSeconds: number;
}

export const DEFAULT_FEED_OPTIONS: FeedOptions = {
  node: DEFAULT_NODE,
  feeds: ['all'],
  minSeverity: 'info',
  maxRows: 5000,
  pollSeconds: 5,
};
