import fs from 'node:fs';
import path from 'node:path';
import { type NatsServer, startNatsServer } from '../helpers/nats-server';
import { type TestSidecar, startTestSidecar } from '../helpers/sidecar';
import { readWholeStream, streamProblems } from '../helpers/jetstream';
import { fileEventProblems } from '../helpers/events-api';
import { waitFor } from '../helpers/wait';
import type { MetricsRegistry } from '../../src/metrics/metrics-registry';
import type { LookoutEvent } from '../../src/events/event';

async function gaugeValue(metrics: MetricsRegistry, name: string): Promise<number> {
  const m = await metrics.prometheus.getSingleMetric(name)?.get();
  return m?.values[0]?.value ?? NaN;
}

/** Files written per phase: before the crash, while NATS is down, after it is back. */
const PER_PHASE = 1_000;

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

  it('delays publishing but loses nothing: NATS killed mid-stream, every file becomes one message, in order', async () => {
    t = await startTestSidecar({
      overrides: {
        heartbeat_interval_ms: 600_000,
        watch: { debounce_ms: 10, reconcile_interval_ms: 60_000 },
        nats: {
          url: nats.url,
          reconnect_wait_ms: 50,
          reconnect_max_wait_ms: 400,
          reconnect_jitter_ms: 50,
          publish_timeout_ms: 1000,
        },
      },
    });
    const s = t;
    const { ctx } = s.sidecar;
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

    // The workload writes real files; the watcher turns them into events.
    const written: string[] = [];
    fs.mkdirSync(path.join(s.workspace, 'activity/tasks'), { recursive: true });
    const write = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const rel = `activity/tasks/t${written.length}.json`;
        const abs = path.join(s.workspace, rel);
        fs.writeFileSync(`${abs}.tmp`, JSON.stringify({ id: rel, type: 'process', status: 'done' }));
        fs.renameSync(`${abs}.tmp`, abs);
        written.push(rel);
        if (i % 50 === 49) await new Promise((r) => setImmediate(r));
      }
    };
    const published = async (): Promise<number> => (await gaugeValue(ctx.metrics, 'lookout_bus_published_total')) || 0;

    await write(PER_PHASE);
    // Killed while publishing: acknowledgements in flight are lost with the server.
    await waitFor(async () => (await published()) >= PER_PHASE / 2, 20_000, 5);
    await nats.crash();
    await write(PER_PHASE / 2);
    await waitFor(async () => (await gaugeValue(ctx.metrics, 'lookout_bus_connected')) === 0);
    await write(PER_PHASE / 2);
    expect((await s.call('GET', '/readyz')).status).toBe(503);
    await nats.start();
    await write(PER_PHASE);

    await waitFor(() => {
      const events = ctx.events.repo.query({ after: 0, kinds: ['activity.tasks'], limit: 100_000 });
      return fileEventProblems(events, written).length === 0;
    }, 60_000);
    await waitFor(async () => (await gaugeValue(ctx.metrics, 'lookout_bus_outbox_pending')) === 0, 60_000);
    sampling = false;
    await sampler;

    // The whole stream, to its last message: a duplicate at the end would show.
    const msgs = await readWholeStream(nats.url, ctx.config.nats.stream);
    const stored = ctx.events.repo.query({ after: 0, limit: 100_000 });
    expect(
      streamProblems(
        msgs,
        stored.map((e) => e.id),
        ctx.config.node
      )
    ).toEqual([]);
    const onStream = msgs.map((m) => m.data as unknown as LookoutEvent).filter((e) => e.kind === 'activity.tasks');
    expect(fileEventProblems(onStream, written)).toEqual([]);

    const firstOne = samples.indexOf(1);
    const zeroAfter = samples.indexOf(0, firstOne);
    expect(firstOne).toBeGreaterThanOrEqual(0);
    expect(zeroAfter).toBeGreaterThan(firstOne);
    expect(samples.indexOf(1, zeroAfter)).toBeGreaterThan(zeroAfter);
    expect(await gaugeValue(ctx.metrics, 'lookout_bus_connected')).toBe(1);
    const reconnects = await ctx.metrics.prometheus.getSingleMetric('lookout_bus_reconnects_total')?.get();
    expect(reconnects?.values[0]?.value).toBeGreaterThanOrEqual(1);
    expect((await s.call('GET', '/readyz')).status).toBe(200);
  }, 120_000);
});
