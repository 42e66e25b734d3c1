export { lookoutApi, proxyUrl } from './client';
export type { LookoutApi, FeedQuery } from './client';
export { LookoutApiError, toApiError } from './errors';
export { FEEDS, SEVERITIES, TERMINAL_ACTION_STATUSES } from './types';
export type * from './types';
