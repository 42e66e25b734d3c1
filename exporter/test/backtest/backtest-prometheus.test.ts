import path from 'node:path';
import YAML from 'yaml';
import { freePort } from '../helpers/free-port';
import { BINARIES, type ManagedProcess, hasBinary, startPrometheus } from '../helpers/prometheus';
import { type TestSidecar, startTestSidecar, tempDir } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';

/**
 * A real Prometheus scrapes the sidecar once a second while a scripted workload reports; the running
 * rules are then backtested over the same range from the sidecar's own history and from Prometheus'
 * query_range. The two must make the same decisions, the Prometheus one at most one scrape interval
 * plus one tick later: Prometheus learns a value at the first scrape after the sidecar received it,
 * and a step sees the last scrape at or before it, so its grid can only see a change later, never
 * earlier — but for the milliseconds between a scrape's timestamp and the sidecar rendering it, which
 * can move a staleness decision one tick earlier.
 */

const SCRAPE_MS = 500;
const TICK = 500;
const TOLERANCE = SCRAPE_MS + TICK;

const RULES = [
  { name: 'drift_high', type: 'threshold', metric: 'drift_score', op: '>', value: 0.6, for: '1s' },
  {
    name: 'venue_slow',
    type: 'threshold',
    metric: 'venue_latency_ms',
    match: { venue: { re: '.+' } },
    op: '>',
    value: 150,
  },
  {
    name: 'corr_avg',
    type: 'threshold',
    metric: 'symbol_correlation',
    aggregate: 'avg',
    op: '>',
    value: 0.6,
    shadow: true,
  },
  { name: 'orders_burst', type: 'threshold', metric: 'orders', aggregate: 'sum', op: '>', value: 100 },
  { name: 'quiet', type: 'telemetry_stale', max_age: '3s' },
];

interface Fire {
  rule: string;
  at_ms: number;
  shadow: boolean;
}

describe('backtest from Prometheus', () => {
  let prom: ManagedProcess;
  let t: TestSidecar;

  beforeAll(async () => {
    if (!hasBinary(BINARIES.prometheus))
      throw new Error(`${BINARIES.prometheus} is missing: apt-get install -y prometheus`);
    const port = await freePort();
    prom = await startPrometheus(
      path.join(tempDir('bt-prom'), 'prom'),
      YAML.stringify({
        global: { scrape_interval: `${SCRAPE_MS}ms`, evaluation_interval: '1s' },
        scrape_configs: [
          { job_name: 'lookout-exporter', honor_labels: true, static_configs: [{ targets: [`127.0.0.1:${port}`] }] },
        ],
      })
    );
    t = await startTestSidecar({
      overrides: {
        port,
        http: { metrics_public: true },
        guardian: { enabled: false, tick_ms: TICK, rules: RULES as never },
        backtest: { prometheus_url: prom.url },
      },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await prom?.stop();
  });

  /** Prometheus' last scrape of the sidecar, epoch ms. */
  const lastScrape = async (): Promise<number> => {
    const r = (await (await fetch(`${prom.url}/api/v1/targets`)).json()) as {
      data: { activeTargets: { lastScrape: string; health: string }[] };
    };
    const target = r.data.activeTargets[0];
    return target && target.health === 'up' ? Date.parse(target.lastScrape) : 0;
  };
  /** Waits until Prometheus has scraped the sidecar `n` more times (what it knows has moved on). */
  const scrapes = async (n: number): Promise<void> => {
    const since = Date.now();
    await waitFor(async () => (await lastScrape()) >= since + (n - 1) * SCRAPE_MS, 30_000, 100);
  };

  test('rules backtested over query_range make the decisions the store makes, within a scrape and a tick', async () => {
    await waitFor(async () => (await lastScrape()) > 0, 30_000, 100);
    const state = { drift: 0.3, latencyB: 40, corr: 0.2, orders: 10, silent: false };
    let running = true;
    const report = (async () => {
      while (running) {
        if (!state.silent) {
          t.sidecar.ctx.telemetry.ingest(
            {
              metrics: { drift_score: state.drift },
              samples: [
                { name: 'venue_latency_ms', labels: { venue: 'A' }, value: 40 },
                { name: 'venue_latency_ms', labels: { venue: 'B' }, value: state.latencyB },
                { name: 'symbol_correlation', labels: { symbol: 'X' }, value: state.corr },
                { name: 'symbol_correlation', labels: { symbol: 'Y' }, value: state.corr },
                { name: 'orders', labels: { desk: 'a' }, value: state.orders, type: 'counter' },
                { name: 'orders', labels: { desk: 'b' }, value: state.orders, type: 'counter' },
              ],
            },
            'api'
          );
        }
        // Pacing the workload, not waiting for an outcome.
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    let from = 0;
    let to = 0;
    try {
      await scrapes(2);
      from = Date.now();
      await scrapes(2);
      // Each condition holds for several scrapes, so both sources see it whatever their phase.
      for (const [change, hold] of [
        [() => (state.drift = 0.8), 4],
        [() => Object.assign(state, { drift: 0.3, latencyB: 220 }), 3],
        [() => Object.assign(state, { latencyB: 40, corr: 0.9 }), 3],
        [() => Object.assign(state, { corr: 0.2, orders: 80 }), 3],
        // Silent for at least nine scrape intervals (4.5 s), well past the quiet rule's 3 s.
        [() => (state.silent = true), 10],
        [() => (state.silent = false), 2],
      ] as const) {
        change();
        await scrapes(hold);
      }
      to = Date.now();
      await scrapes(2);
    } finally {
      running = false;
      await report;
    }

    const run = async (source: 'store' | 'prometheus'): Promise<Fire[]> => {
      const r = await t.call('POST', '/api/v1/backtests', {
        as: 'operator',
        body: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), source },
      });
      expect([201, 202]).toContain(r.status);
      const id = (r.body as { id: string }).id;
      const result = await waitFor(async () => {
        const res = await t.call('GET', `/api/v1/backtests/${id}/result`, { as: 'viewer' });
        return res.status === 200 ? (res.body as { fires: Fire[]; partial: unknown; data: { rows: number } }) : null;
      }, 30_000);
      expect(result.partial).toBeNull();
      expect(result.data.rows).toBeGreaterThan(0);
      return result.fires;
    };
    const store = await run('store');
    const fromProm = await run('prometheus');
    expect(store.map((f) => f.rule).sort()).toEqual(['corr_avg', 'drift_high', 'orders_burst', 'quiet', 'venue_slow']);
    expect(fromProm.map((f) => [f.rule, f.shadow])).toEqual(store.map((f) => [f.rule, f.shadow]));
    for (const [i, f] of store.entries()) {
      const delta = fromProm[i]!.at_ms - f.at_ms;
      // A value is scraped later than the sidecar got it: never earlier. The newest-snapshot time is
      // `timestamp(age) - age`, with the age rendered a few ms after the scrape's timestamp: that puts it
      // those ms early, and when a tick falls within them the staleness decision comes one tick early.
      const earliest = f.rule === 'quiet' ? -TICK : -100;
      expect({ rule: f.rule, delta, within: delta >= earliest && delta <= TOLERANCE }).toEqual({
        rule: f.rule,
        delta,
        within: true,
      });
    }
  });
});
