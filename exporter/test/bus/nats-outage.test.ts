import { type NatsServer, startNatsServer } from '../helpers/nats-server';
import { type TestSidecar, startTestSidecar } from '../helpers/sidecar';
import { readStream } from '../helpers/jetstream';
import { waitFor } from '../helpers/wait';
import type { MetricsRegistry } from '../../src/metrics/metrics-registry';

async function gaugeValue(metrics: MetricsRegistry, name: string): Promise<number> {
  const m = await metrics.prometheus.getSingleMetric(name)?.get();
  return m?.values[0]?.value ?? NaN;
}

const TOTAL = 10_000;

describe('a NATS outage', () => {
  let nats: NatsServer;
  let t: TestSidecar | null = null;

  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(async () => {
    await t?.stop();
    await nats.dispose();
  });

  it('delays publishing but loses nothing: all 10,000 events arrive once after the server comes back', async () => {
    t = await startTestSidecar({
      overrides: {
        heartbeat_interval_ms: 600_000,
        nats: {
          url: nats.url,
          reconnect_wait_ms: 50,
          reconnect_max_wait_ms: 400,
          reconnect_jitter_ms: 50,
          publish_timeout_ms: 1000,
        },
      },
    });
    const { ctx } = t.sidecar;
    await waitFor(() => ctx.bus.isConnected());

    // Sample lookout_bus_connected the way Prometheus would, all along.
    const samples: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const v = await gaugeValue(ctx.metrics, 'lookout_bus_connected');
        if (samples[samples.length - 1] !== v) samples.push(v);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    const ids: string[] = [];
    const appendSome = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i += 100) {
        const batch = ctx.events.appendMany(
          Array.from({ length: Math.min(100, n - i) }, (_, k) => ({
            source: 'api' as const,
            kind: 'outage.test',
            data: { n: ids.length + k },
          }))
        );
        for (const e of batch) ids.push(e.id);
        await new Promise((r) => setImmediate(r));
      }
    };

    await appendSome(2_000);
    await nats.stop();
    await appendSome(3_000);
    await waitFor(async () => (await gaugeValue(ctx.metrics, 'lookout_bus_connected')) === 0);
    await appendSome(3_000);
    expect((await t.call('GET', '/readyz')).status).toBe(503);
    await nats.start();
    await appendSome(TOTAL - 8_000);
    expect(ids).toHaveLength(TOTAL);

    await waitFor(async () => (await gaugeValue(ctx.metrics, 'lookout_bus_outbox_pending')) === 0, 60_000);
    sampling = false;
    await sampler;

    const stored = ctx.events.repo.query({ after: 0, limit: 100_000 });
    const msgs = await readStream(nats.url, 'LOOKOUT_EVENTS', stored.length);
    const streamIds = msgs.map((m) => m.data['id'] as string);
    expect(new Set(streamIds).size).toBe(streamIds.length);
    const mine = new Set(ids);
    const ours = streamIds.filter((id) => mine.has(id));
    // Exactly once, and in the order they were committed.
    expect(ours).toEqual(ids);
    expect(streamIds).toHaveLength(stored.length);

    const firstOne = samples.indexOf(1);
    const zeroAfter = samples.indexOf(0, firstOne);
    expect(firstOne).toBeGreaterThanOrEqual(0);
    expect(zeroAfter).toBeGreaterThan(firstOne);
    expect(samples.indexOf(1, zeroAfter)).toBeGreaterThan(zeroAfter);
    expect(await gaugeValue(ctx.metrics, 'lookout_bus_connected')).toBe(1);
    const reconnects = await ctx.metrics.prometheus.getSingleMetric('lookout_bus_reconnects_total')?.get();
    expect(reconnects?.values[0]?.value).toBeGreaterThanOrEqual(1);
    expect((await t.call('GET', '/readyz')).status).toBe(200);
  });
});
