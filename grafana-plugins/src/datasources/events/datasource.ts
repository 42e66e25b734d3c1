import {
  createDataFrame,
  type DataFrame,
  type DataQueryRequest,
  type DataQueryResponse,
  DataSourceApi,
  type DataSourceInstanceSettings,
  FieldType,
  type TestDataSourceResponse,
} from '@grafana/data';
import { type LookoutEvent, lookoutApi } from '../../api';
import { annotationOf } from './data/annotationText';
import { DEFAULT_EVENTS_QUERY, type EventsQuery, MAX_EVENTS_PER_QUERY } from './types';

/**
 * The sidecar's events as data: each query reads one feed (`GET feeds/<feed>?kind=&severity=&since=&until=`)
 * through the Lookout app's plugin proxy, so it needs no settings of its own and every person reads with
 * their own role. As annotations, each event is a marker that says who did what and why.
 */
export class EventsDataSource extends DataSourceApi<EventsQuery> {
  constructor(instanceSettings: DataSourceInstanceSettings) {
    super(instanceSettings);
    // Annotation queries run through query() with the annotation's target, and the frame's time/title/text/tags
    // fields become the markers.
    this.annotations = {};
  }

  getDefaultQuery(): Partial<EventsQuery> {
    return DEFAULT_EVENTS_QUERY;
  }

  async query(request: DataQueryRequest<EventsQuery>): Promise<DataQueryResponse> {
    const since = request.range.from.toISOString();
    const until = request.range.to.toISOString();
    const data = await Promise.all(
      request.targets.filter((t) => !t.hide).map((t) => this.frameFor({ ...DEFAULT_EVENTS_QUERY, ...t }, since, until))
    );
    return { data };
  }

  private async frameFor(q: EventsQuery, since: string, until: string): Promise<DataFrame> {
    const events: LookoutEvent[] = [];
    let cursor: string | null | undefined;
    const kind = (q.kinds ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean)
      .join(',');
    do {
      const page = await lookoutApi.feed(q.feed, {
        cursor,
        limit: 500,
        kind: kind || undefined,
        severity: q.minSeverity && q.minSeverity !== 'debug' ? q.minSeverity : undefined,
        since,
        until,
      });
      events.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && events.length < MAX_EVENTS_PER_QUERY);
    const shown = events.slice(0, MAX_EVENTS_PER_QUERY);
    const notes = shown.map(annotationOf);
    return createDataFrame({
      refId: q.refId,
      fields: [
        { name: 'time', type: FieldType.time, values: shown.map((e) => Date.parse(e.ts)) },
        { name: 'title', type: FieldType.string, values: notes.map((n) => n.title) },
        { name: 'text', type: FieldType.string, values: notes.map((n) => n.text) },
        { name: 'tags', type: FieldType.other, values: notes.map((n) => n.tags) },
        { name: 'kind', type: FieldType.string, values: shown.map((e) => e.kind) },
        { name: 'actor', type: FieldType.string, values: shown.map((e) => e.actor ?? '') },
        { name: 'id', type: FieldType.string, values: shown.map((e) => e.id) },
      ],
    });
  }

  async testDatasource(): Promise<TestDataSourceResponse> {
    try {
      const s = await lookoutApi.status();
      return {
        status: 'success',
        message: `Sidecar ${s.node} ${s.version}: reading as ${s.auth.actor} (${s.auth.role})`,
      };
    } catch (err) {
      return { status: 'error', message: `The Lookout app cannot reach the sidecar: ${(err as Error).message}` };
    }
  }
}
