import { type NatsConnection, connect } from '@nats-io/transport-node';
import { type NatsServer, startNatsServer } from '../helpers/nats-server';
import { type TestSidecar, makeWorkspace, startTestSidecar } from '../helpers/sidecar';
import { deleteAllStreams } from '../helpers/jetstream';
import { waitFor } from '../helpers/wait';
import { createSimulator, type Simulator } from '../../../examples/src';
import { NatsCommandBus } from '../../../examples/src/nats-command-bus';
import { BusNoRespondersError, BusTimeoutError, NatsBus } from '../../src/bus';
import { createLogger } from '../../src/log/logger';
import { loadConfig } from '../../src/config/load-config';

let keySeq = 0;

async function apply(t: TestSidecar, name: string): Promise<Record<string, unknown>> {
  const plan = await t.call('POST', `/api/v1/actions/${name}/plan`, { as: 'admin', body: {} });
  expect(plan.status).toBe(200);
  const r = await t.call('POST', `/api/v1/actions/${name}/apply`, {
    as: 'admin',
    body: { plan_id: (plan.body as { plan_id: string }).plan_id, reason: `nats test ${name}` },
    headers: { 'idempotency-key': `nats-${++keySeq}` },
  });
  if (r.status >= 300) throw new Error(`apply ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  const id = (r.body as { id: string }).id;
  return waitFor(async () => {
    const a = await t.call('GET', `/api/v1/actions/${id}`, { as: 'viewer' });
    const b = a.body as Record<string, unknown>;
    return b['finished_at'] ? b : null;
  }, 20_000);
}

describe('commands over NATS request/reply', () => {
  let nats: NatsServer;
  let t: TestSidecar | null = null;
  let sim: Simulator | null = null;
  let simBus: NatsCommandBus | null = null;
  const conns: NatsConnection[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterEach(async () => {
    sim?.stop();
    sim = null;
    await simBus?.drain();
    simBus = null;
    for (const c of conns.splice(0)) if (!c.isClosed()) await c.close();
    await t?.stop();
    t = null;
    await deleteAllStreams(nats.url);
  });
  afterAll(async () => {
    await nats.dispose();
  });

  it('the example workload answers a kill over NATS and the action is applied', async () => {
    const workspace = makeWorkspace();
    sim = createSimulator({ workspace, seed: 3, tickMs: 60_000, autopilot: false });
    sim.getState();
    simBus = await NatsCommandBus.connect({ url: nats.url });
    sim.attachBus(simBus, 'test-node');
    t = await startTestSidecar({ workspace, overrides: { nats: { url: nats.url } } });
    await waitFor(
      () =>
        t!.sidecar.ctx.bus.isConnected() &&
        t!.sidecar.ctx.lineage.current().active !== null &&
        t!.sidecar.ctx.telemetryRepo.latestValue('state_active')
    );
    const a = await apply(t, 'kill');
    expect(['applied', 'verified']).toContain(a['status']);
    expect(sim.getState().killed).toBe(true);
  });

  it('a command nobody answers fails with "no responders" as its reason', async () => {
    t = await startTestSidecar({ overrides: { nats: { url: nats.url } } });
    await waitFor(() => t!.sidecar.ctx.bus.isConnected());
    const a = await apply(t, 'retrain');
    expect(a['status']).toBe('failed');
    expect(String(a['error'])).toMatch(/no responders on lookout\.cmd\.test-node\.retrain/);
  });

  it('a command answered too late fails with the timeout as its reason', async () => {
    const nc = await connect({ servers: nats.url });
    conns.push(nc);
    nc.subscribe('lookout.cmd.test-node.retrain', { callback: () => undefined });
    await nc.flush();
    t = await startTestSidecar({ overrides: { nats: { url: nats.url }, actions: { bus_timeout_ms: 300 } } as never });
    await waitFor(() => t!.sidecar.ctx.bus.isConnected());
    const a = await apply(t, 'retrain');
    expect(['failed', 'timed_out']).toContain(a['status']);
    expect(String(a['error'])).toMatch(/no reply on lookout\.cmd\.test-node\.retrain within 300 ms/);
  });

  it('NatsBus.request maps no responders and timeouts to the bus error classes', async () => {
    const cfg = loadConfig({ env: {}, overrides: { nats: { url: nats.url } } }).nats;
    const bus = new NatsBus(cfg, createLogger('silent'));
    bus.start();
    try {
      await expect(bus.request('nobody.home', {}, { timeoutMs: 500 })).rejects.toBeInstanceOf(BusNoRespondersError);
      bus.subscribe('slow.service', () => undefined);
      await expect(bus.request('slow.service', {}, { timeoutMs: 200 })).rejects.toBeInstanceOf(BusTimeoutError);
      bus.subscribe('echo.service', (m) => m.reply?.({ got: m.data }));
      await expect(bus.request('echo.service', { a: 1 }, { timeoutMs: 2000 })).resolves.toEqual({ got: { a: 1 } });
    } finally {
      await bus.close();
    }
  });

  it('starts while NATS is down, reports the bus not ready, and connects when NATS appears', async () => {
    await nats.stop();
    try {
      t = await startTestSidecar({
        overrides: { nats: { url: nats.url, reconnect_wait_ms: 50, reconnect_max_wait_ms: 200 } },
      });
      const ready = await t.call('GET', '/readyz', { as: 'viewer' });
      expect(ready.status).toBe(503);
      expect(JSON.stringify(ready.body)).toContain('bus');
      await expect(
        t.sidecar.ctx.bus.request('lookout.cmd.test-node.kill', {}, { timeoutMs: 100 })
      ).rejects.toBeInstanceOf(BusTimeoutError);
      const e = t.sidecar.ctx.events.append({ source: 'api', kind: 'while.down' });
      await nats.start();
      await waitFor(() => t!.sidecar.ctx.bus.isConnected(), 15_000);
      await waitFor(async () => (await t!.call('GET', '/readyz', { as: 'viewer' })).status === 200);
      const status = await t.call('GET', '/api/v1/status', { as: 'viewer' });
      const bus = (status.body as { bus: { kind: string; outbox: { cursor_seq: number } } }).bus;
      expect(bus.kind).toBe('nats');
      await waitFor(async () => {
        const s = await t!.call('GET', '/api/v1/status', { as: 'viewer' });
        return (s.body as { bus: { outbox: { cursor_seq: number } } }).bus.outbox.cursor_seq >= e.seq;
      }, 15_000);
    } finally {
      if (!nats.running()) await nats.start();
    }
  });
});
