import type { DataQuery } from '@grafana/schema';
import type { FeedName, Severity } from '../../api';

/** One query of the Lookout events datasource: a feed, narrowed to kinds (`action.applied`, `incident.*`). */
export interface EventsQuery extends DataQuery {
  feed: FeedName;
  /** Comma-separated kinds or families (`incident.*`); empty = every kind of the feed. */
  kinds?: string;
  minSeverity?: Severity;
}

export const DEFAULT_EVENTS_QUERY: Omit<EventsQuery, 'refId'> = { feed: 'all', kinds: '', minSeverity: 'info' };

/** At most this many events per query and time range: a marker per event, past this they only hide the graph. */
export const MAX_EVENTS_PER_QUERY = 2000;
