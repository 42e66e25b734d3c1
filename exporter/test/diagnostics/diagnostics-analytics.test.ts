import { startTestSidecar, type TestSidecar } from '../helpers/sidecar';
import {
  DiagnosticsRepository,
  type NewDiagnostic,
  estimateResolution,
  formatDiagnosticId,
  quantile,
  weekStart,
} from '../../src/diagnostics';

const H = 3600;

describe('quantiles, weeks and estimates', () => {
  it('interpolates quantiles between the closest ranks', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0.9)).toBeCloseTo(3.7, 10);
    expect(quantile([5], 0.9)).toBe(5);
    expect(quantile([], 0.5)).toBeNull();
  });

  it('starts weeks on Monday 00:00 UTC', () => {
    expect(weekStart(new Date('2026-03-15T23:59:59Z')).toISOString()).toBe('2026-03-09T00:00:00.000Z');
    expect(weekStart(new Date('2026-03-16T00:00:00Z')).toISOString()).toBe('2026-03-16T00:00:00.000Z');
  });

  it('estimates from the same severity and component when there are enough, else widens, else gives none', () => {
    const row = (severity: 'info' | 'critical', component: string | null, hours: number) => ({
      severity,
      component,
      created_at: '2026-01-01T00:00:00.000Z',
      resolved_at: new Date(Date.parse('2026-01-01T00:00:00Z') + hours * H * 1000).toISOString(),
    });
    const resolved = [
      row('critical', 'db', 1),
      row('critical', 'db', 3),
      row('critical', null, 10),
      row('info', 'db', 50),
    ];
    const target = { id: 9, severity: 'critical' as const, component: 'db', created_at: '2026-02-01T00:00:00.000Z' };
    const now = new Date('2026-02-01T01:00:00Z');
    expect(estimateResolution(target, resolved, 2, now, formatDiagnosticId)).toEqual({
      diagnostic_id: 'D-9',
      basis: 'severity+component',
      sample_size: 2,
      median_s: 2 * H,
      p90_s: 2.8 * H, // 1 h + 0.9 * 2 h
      expected_resolved_at: '2026-02-01T02:00:00.000Z',
      remaining_s: H,
    });
    expect(estimateResolution(target, resolved, 3, now, formatDiagnosticId)).toMatchObject({
      basis: 'severity',
      sample_size: 3,
      median_s: 3 * H,
    });
    expect(estimateResolution(target, resolved, 4, now, formatDiagnosticId)).toMatchObject({
      basis: 'all',
      sample_size: 4,
      median_s: 6.5 * H,
    });
    expect(estimateResolution(target, [], 3, now, formatDiagnosticId)).toEqual({
      diagnostic_id: 'D-9',
      basis: 'none',
      sample_size: 0,
      median_s: null,
      p90_s: null,
      expected_resolved_at: null,
      remaining_s: null,
    });
  });
});

describe('diagnostics analytics on a seeded history', () => {
  let t: TestSidecar;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestSidecar();
    const repo = new DiagnosticsRepository(t.sidecar.ctx.db);
    const mk = (
      name: string,
      severity: NewDiagnostic['severity'],
      status: NewDiagnostic['status'],
      created: string,
      resolved: string | null,
      extra: Partial<NewDiagnostic> = {}
    ): void => {
      const id = repo.insert({
        title: name,
        description: '',
        severity,
        status,
        assignee: null,
        due_at: null,
        tags: [],
        component: null,
        roadmap_url: null,
        origin: 'api',
        rule: null,
        node: null,
        created_by: 'seed',
        created_at: created,
        updated_at: resolved ?? created,
        resolved_at: resolved,
        closed_at: status === 'closed' ? (resolved ?? created) : null,
        due_soon_notified_at: null,
        overdue_notified_at: null,
        ...extra,
      });
      ids[name] = formatDiagnosticId(id);
    };
    t.sidecar.ctx.db.transaction(() => {
      // Resolved in the range [2026-03-02, 2026-03-23): three ISO weeks.
      mk('c1', 'critical', 'resolved', '2026-03-02T10:00:00.000Z', '2026-03-02T11:00:00.000Z', { component: 'policy' }); // 1 h
      mk('c2', 'critical', 'closed', '2026-03-03T00:00:00.000Z', '2026-03-03T02:00:00.000Z', { component: 'policy' }); // 2 h
      mk('c3', 'critical', 'resolved', '2026-03-09T12:00:00.000Z', '2026-03-09T15:00:00.000Z'); // 3 h
      mk('c4', 'critical', 'resolved', '2026-03-15T20:00:00.000Z', '2026-03-16T06:00:00.000Z'); // 10 h, across weeks
      mk('w1', 'warning', 'resolved', '2026-03-04T00:00:00.000Z', '2026-03-05T00:00:00.000Z'); // 1 d
      mk('w2', 'warning', 'resolved', '2026-03-10T00:00:00.000Z', '2026-03-13T00:00:00.000Z'); // 3 d
      mk('w3', 'warning', 'closed', '2026-03-12T00:00:00.000Z', '2026-03-17T00:00:00.000Z'); // 5 d
      // Resolved before the range: not in time_to_resolve or the trend, but in estimates.
      mk('i-old', 'info', 'resolved', '2026-01-10T00:00:00.000Z', '2026-02-01T00:00:00.000Z'); // 22 d
      // Still open.
      mk('openA', 'critical', 'open', '2026-03-20T00:00:00.000Z', null, { component: 'policy' });
      mk('openB', 'warning', 'in_progress', '2026-03-22T23:59:59.000Z', null, { due_at: '2020-01-01T00:00:00.000Z' });
      mk('openC', 'info', 'open', '2026-03-23T00:00:00.000Z', null, { due_at: '2099-01-01T00:00:00.000Z' });
      // Closed without being resolved, created the Sunday before the range.
      mk('closedD', 'critical', 'closed', '2026-03-01T23:00:00.000Z', null);
    })();
  });
  afterAll(async () => {
    await t.stop();
  });

  const analytics = async (q: string): Promise<Record<string, unknown>> => {
    const r = await t.call('GET', `/api/v1/diagnostics/analytics?${q}`, { as: 'viewer' });
    expect(r.status).toBe(200);
    return r.body as Record<string, unknown>;
  };

  it('answers open counts, overdue, time to resolve by severity and the weekly trend', async () => {
    const a = await analytics(`since=2026-03-02T00:00:00Z&until=2026-03-23T00:00:00Z&diagnostic=${ids['openA']}`);
    expect(a['range']).toEqual({ since: '2026-03-02T00:00:00.000Z', until: '2026-03-23T00:00:00.000Z' });
    expect(a['open_by_severity']).toEqual({ info: 1, warning: 1, critical: 1 });
    expect(a['open_total']).toBe(3);
    expect(a['overdue']).toBe(1);
    expect(a['time_to_resolve']).toEqual({
      info: { count: 0, median_s: null, p90_s: null },
      warning: { count: 3, median_s: 259_200, p90_s: 397_440 }, // 1, 3, 5 d
      critical: { count: 4, median_s: 9000, p90_s: 28_440 }, // 1, 2, 3, 10 h
    });
    expect(a['weekly']).toEqual([
      { week_start: '2026-03-02T00:00:00.000Z', opened: 3, resolved: 3 },
      { week_start: '2026-03-09T00:00:00.000Z', opened: 4, resolved: 2 },
      { week_start: '2026-03-16T00:00:00.000Z', opened: 2, resolved: 2 },
    ]);
    // openA: critical + policy has only 2 resolved (< 3), so the estimate widens to critical: 1, 2, 3, 10 h.
    expect(a['estimate']).toEqual({
      diagnostic_id: ids['openA'],
      basis: 'severity',
      sample_size: 4,
      median_s: 9000,
      p90_s: 28_440,
      expected_resolved_at: '2026-03-20T02:30:00.000Z',
      remaining_s: 0,
    });
  });

  it('estimates from all resolved diagnostics when the severity has too few, and shows it on the detail', async () => {
    const r = await t.call('GET', `/api/v1/diagnostics/${ids['openC']}`, { as: 'viewer' });
    // info has one resolved (i-old): all eight resolved ones are used.
    // Sorted: 1 h, 2 h, 3 h, 10 h, 1 d, 3 d, 5 d, 22 d; median = (10 h + 1 d) / 2; p90 = 5 d + 0.3 * 17 d.
    expect((r.body as { estimate: unknown }).estimate).toMatchObject({
      basis: 'all',
      sample_size: 8,
      median_s: 61_200,
      p90_s: 872_640,
    });
  });

  it('defaults to the twelve ISO weeks up to now', async () => {
    const a = await analytics('');
    const weekly = a['weekly'] as { week_start: string }[];
    expect(weekly).toHaveLength(12);
    expect(weekly[11]!.week_start).toBe(weekStart(new Date()).toISOString());
    expect(a['estimate']).toBeNull();
  });

  it('refuses a range that ends before it starts, and an unknown diagnostic', async () => {
    const bad = await t.call('GET', '/api/v1/diagnostics/analytics?since=2026-03-10&until=2026-03-01', {
      as: 'viewer',
    });
    expect(bad.status).toBe(400);
    expect((bad.body as { error: { details: { path: string }[] } }).error.details[0]!.path).toBe('query.since');
    const missing = await t.call('GET', '/api/v1/diagnostics/analytics?diagnostic=D-9999', { as: 'viewer' });
    expect(missing.status).toBe(404);
  });
});
