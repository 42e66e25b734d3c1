import { RetentionPart } from '../../src/store/retention';
import { type TestSidecar, startTestSidecar } from '../helpers/sidecar';

const DAY = 86_400_000;

/** The telemetry history backtests replay: every series by receipt time, bounded by series, age and rows. */
describe('telemetry history', () => {
  let t: TestSidecar;
  let clock = 0;
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  beforeEach(async () => {
    clock = t0;
    t = await startTestSidecar({
      now: () => clock,
      overrides: { telemetry: { history_max_series: 3, history_max_age_days: 8, history_max_rows: 1000 } },
    });
  });
  afterEach(async () => {
    await t.stop();
  });

  const rows = (): { t: number; name: string; series: string; value: number }[] =>
    t.sidecar.ctx.db
      .prepare(
        `SELECT h.t, s.name, s.series, h.value FROM telemetry_history h JOIN telemetry_history_series s USING (sid)
          WHERE h.sid > 0 ORDER BY h.t, h.sid`
      )
      .all() as { t: number; name: string; series: string; value: number }[];

  test('keeps every value with its receipt time, labeled series too, and counts what the series limit leaves out', async () => {
    const { telemetry } = t.sidecar.ctx;
    telemetry.ingest(
      {
        ts: '2020-01-01T00:00:00Z',
        metrics: { drift_score: 0.4 },
        samples: [
          { name: 'venue_latency_ms', labels: { venue: 'A' }, value: 10 },
          { name: 'venue_latency_ms', labels: { venue: 'B' }, value: 20 },
          { name: 'venue_latency_ms', labels: { venue: 'C' }, value: 30 },
        ],
      },
      'api'
    );
    clock += 1000;
    telemetry.ingest({ metrics: { drift_score: 0.5 } }, 'api');
    // The workload's own clock (2020) is not what the guardian judges by: the receipt time is kept.
    expect(rows()).toEqual([
      { t: t0, name: 'drift_score', series: '', value: 0.4 },
      { t: t0, name: 'venue_latency_ms', series: 'venue="A"', value: 10 },
      { t: t0, name: 'venue_latency_ms', series: 'venue="B"', value: 20 },
      { t: t0 + 1000, name: 'drift_score', series: '', value: 0.5 },
    ]);
    // One snapshot marker per accepted snapshot, for telemetry_stale rules.
    expect(t.sidecar.ctx.db.prepare('SELECT t FROM telemetry_history WHERE sid = 0').pluck().all()).toEqual([
      t0,
      t0 + 1000,
    ]);
    // The fourth series is over the limit: its latest value is kept and exported, its history is not.
    expect(telemetry.family('venue_latency_ms')!.series.get('venue="C"')!.value).toBe(30);
    const metrics = String((await t.call('GET', '/metrics', { as: 'viewer' })).body);
    expect(metrics).toMatch(/^lookout_telemetry_history_skipped_total\{node="test-node"\} 1$/m);
  });

  test('retention deletes history past its age, then the oldest rows past the row limit', () => {
    const { telemetry } = t.sidecar.ctx;
    telemetry.ingest({ metrics: { old_signal: 1 } }, 'api');
    clock = t0 + 2 * DAY;
    for (let i = 0; i < 600; i++) {
      clock += 1000;
      telemetry.ingest({ metrics: { drift_score: i } }, 'api');
    }
    // 1 + 600 values and 601 snapshot markers: over the 1000-row limit.
    const retention = new RetentionPart(t.sidecar.ctx);
    retention.runOnce(t0 + 9 * DAY);
    const left = rows();
    expect(left.some((r) => r.name === 'old_signal')).toBe(false);
    const all = t.sidecar.ctx.db.prepare('SELECT COUNT(*) FROM telemetry_history').pluck().get() as number;
    expect(all).toBeLessThanOrEqual(900);
    // The newest rows are the ones kept.
    expect(left.at(-1)).toMatchObject({ name: 'drift_score', value: 599 });
    // A series not seen since the cutoff is forgotten, and makes room under the series limit.
    const names = t.sidecar.ctx.db
      .prepare('SELECT name FROM telemetry_history_series WHERE sid > 0')
      .pluck()
      .all() as string[];
    expect(names).toEqual(['drift_score']);
  });
});
