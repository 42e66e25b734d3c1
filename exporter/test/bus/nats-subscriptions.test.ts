import type { NatsConnection } from '@nats-io/transport-node';
import { type NatsSidecar, startNatsSidecar } from '../helpers/nats-sidecar';
import type { TestSidecar } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';

const enc = new TextEncoder();
const dec = new TextDecoder();

describe('inbound NATS subscriptions', () => {
  let h: NatsSidecar;
  let t: TestSidecar;
  let nc: NatsConnection;

  const ask = async (subject: string, payload: string): Promise<Record<string, unknown>> => {
    const m = await nc.request(subject, enc.encode(payload), { timeout: 5000 });
    return JSON.parse(dec.decode(m.data)) as Record<string, unknown>;
  };
  const rejected = async (kind: string): Promise<number> => {
    const m = await t.sidecar.ctx.metrics.prometheus.getSingleMetric('lookout_bus_rejected_total')?.get();
    return m?.values.find((v) => v.labels['subject_kind'] === kind)?.value ?? 0;
  };

  beforeAll(async () => {
    h = await startNatsSidecar();
    ({ t, nc } = h);
  });
  afterAll(async () => {
    await h.stop();
  });

  it('telemetry on lookout.telemetry.<node> becomes workload gauges and is acknowledged', async () => {
    const r = await ask(
      'lookout.telemetry.test-node',
      JSON.stringify({ metrics: { drift_score: 0.42 }, labels: { model: 'm' } })
    );
    expect(r).toEqual({ ok: true });
    expect(t.sidecar.ctx.telemetryRepo.latestValue('drift_score')?.value).toBe(0.42);
    const metrics = await t.call('GET', '/metrics', { as: 'viewer' });
    expect(String(metrics.body)).toMatch(/lookout_workload_drift_score\{node="test-node"\} 0\.42/);
  });

  it('malformed telemetry is refused with an error reply and counted, and the sidecar stays up', async () => {
    const before = await rejected('telemetry');
    const notJson = await ask('lookout.telemetry.test-node', '{not json');
    expect(notJson['ok']).toBe(false);
    expect(String(notJson['error'])).toMatch(/not JSON/);
    const wrongShape = await ask('lookout.telemetry.test-node', JSON.stringify({ metrics: { 'bad name': 'x' } }));
    expect(wrongShape['ok']).toBe(false);
    expect(String(wrongShape['error'])).toMatch(/metrics/);
    const empty = await ask('lookout.telemetry.test-node', JSON.stringify({ metrics: {} }));
    expect(empty['ok']).toBe(false);
    // Fire-and-forget garbage: nobody to answer, still counted.
    for (let i = 0; i < 50; i++) nc.publish('lookout.telemetry.test-node', enc.encode(i % 2 ? '[]' : 'garbage'));
    await nc.flush();
    await waitFor(async () => (await rejected('telemetry')) === before + 53);
    expect((await t.call('GET', '/healthz', { as: null })).status).toBe(200);
    expect(t.sidecar.ctx.telemetryRepo.latestValue('drift_score')?.value).toBe(0.42);
  });

  it('heartbeats from unknown agents or with bad payloads are refused and counted', async () => {
    const before = await rejected('heartbeat');
    const unknown = await ask('lookout.agents.ghost.heartbeat', '{}');
    expect(unknown).toEqual({ ok: false, error: 'agent ghost is not registered' });
    await t.call('POST', '/api/v1/agents', { as: 'operator', body: { name: 'hb-agent', capabilities: ['x'] } });
    const bad = await ask('lookout.agents.hb-agent.heartbeat', JSON.stringify({ cpu: 'high' }));
    expect(bad['ok']).toBe(false);
    expect(String(bad['error'])).toMatch(/cpu/);
    const notJson = await ask('lookout.agents.hb-agent.heartbeat', 'beat');
    expect(notJson['ok']).toBe(false);
    const good = await ask(
      'lookout.agents.hb-agent.heartbeat',
      JSON.stringify({ cpu: 12.5, memory: 1024, custom: { queue_depth: 3 } })
    );
    expect(good).toEqual({ ok: true, status: 'idle' });
    expect(await rejected('heartbeat')).toBe(before + 3);
    const agent = await t.call('GET', '/api/v1/agents/hb-agent', { as: 'viewer' });
    expect((agent.body as { performance: unknown }).performance).toMatchObject({
      cpu: 12.5,
      memory: 1024,
      custom: { queue_depth: 3 },
    });
  });
});
