import { dateTime, type DataQueryRequest, type DataSourceInstanceSettings } from '@grafana/data';
import { fakeBackend } from '../../test/backend';
import { makeEvent, makeStatus } from '../../test/fixtures';
import { EventsDataSource } from './datasource';
import type { EventsQuery } from './types';

const settings = {
  uid: 'lookout-events',
  name: 'Lookout events',
  jsonData: {},
} as unknown as DataSourceInstanceSettings;

const request = (targets: EventsQuery[]): DataQueryRequest<EventsQuery> =>
  ({
    targets,
    range: {
      from: dateTime('2026-12-01T10:00:00Z'),
      to: dateTime('2026-12-01T11:00:00Z'),
      raw: { from: 'now-1h', to: 'now' },
    },
  }) as unknown as DataQueryRequest<EventsQuery>;

const ev = (i: number) =>
  makeEvent({
    ts: `2026-12-01T10:${String(i % 60).padStart(2, '0')}:00.000Z`,
    source: 'actions',
    kind: 'action.applied',
    subject: `a${i}`,
    data: { action: 'retrain', status: 'applied', reason: `why ${i}` },
    actor: 'grafana:erin',
  });

describe('EventsDataSource', () => {
  it('reads the feed for the time range with the kinds and severity asked, page after page', async () => {
    const { calls } = fakeBackend({
      'GET api/v1/feeds/scheduler': (c) =>
        c.query.cursor ? { items: [ev(2)], next_cursor: null } : { items: [ev(1)], next_cursor: 'Mg' },
    });
    const ds = new EventsDataSource(settings);
    const r = await ds.query(
      request([{ refId: 'A', feed: 'scheduler', kinds: 'action.applied, action.failed', minSeverity: 'info' }])
    );
    expect(calls.map((c) => c.query)).toEqual([
      {
        limit: '500',
        kind: 'action.applied,action.failed',
        severity: 'info',
        since: '2026-12-01T10:00:00.000Z',
        until: '2026-12-01T11:00:00.000Z',
      },
      {
        cursor: 'Mg',
        limit: '500',
        kind: 'action.applied,action.failed',
        severity: 'info',
        since: '2026-12-01T10:00:00.000Z',
        until: '2026-12-01T11:00:00.000Z',
      },
    ]);
    const frame = r.data[0];
    const field = (name: string) => frame.fields.find((f: { name: string }) => f.name === name).values;
    expect(frame.refId).toBe('A');
    expect(field('time')).toEqual([Date.parse(ev(1).ts), Date.parse(ev(2).ts)]);
    expect(field('text')).toEqual([
      'retrain applied — by grafana:erin: why 1',
      'retrain applied — by grafana:erin: why 2',
    ]);
    expect(field('tags')[0]).toEqual(['actions', 'action.applied', 'info']);
  });

  it('stops at its event cap instead of paging forever', async () => {
    let served = 0;
    fakeBackend({
      'GET api/v1/feeds/all': () => {
        const items = Array.from({ length: 500 }, () => ev(++served));
        return { items, next_cursor: 'more' };
      },
    });
    const r = await new EventsDataSource(settings).query(request([{ refId: 'A', feed: 'all' }]));
    expect(r.data[0].length).toBe(2000);
    expect(served).toBe(2000);
  });

  it('says who the sidecar reads as when tested, and why not when it cannot', async () => {
    fakeBackend({
      'GET api/v1/status': () =>
        makeStatus({
          node: 'n1',
          version: '1.2.3',
          auth: { ...makeStatus().auth, actor: 'grafana:vic', role: 'viewer' },
        }),
    });
    expect(await new EventsDataSource(settings).testDatasource()).toEqual({
      status: 'success',
      message: 'Sidecar n1 1.2.3: reading as grafana:vic (viewer)',
    });
    fakeBackend({});
    expect((await new EventsDataSource(settings).testDatasource()).status).toBe('error');
  });
});
