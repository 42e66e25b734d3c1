import { type NatsConnection, connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { type NatsServer, startNatsServer } from '../helpers/nats-server';
import { TOKENS, type TestSidecar, startTestSidecar } from '../helpers/sidecar';
import { deleteAllStreams } from '../helpers/jetstream';
import { waitFor } from '../helpers/wait';
import type { NodeRecord } from '../../src/fleet/fleet-schemas';

/**
 * The membership record is rewritten when something in it changes. These tests read what reaches the
 * nodes bucket (a watch on the server, not the sidecar's own counters) with the heartbeat far away, so
 * every write seen is one a change caused.
 */
describe('membership record writes', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let t: TestSidecar;
  /** Every version of the node's record the bucket stored, in order. */
  const seen: NodeRecord[] = [];
  let stopWatch: () => void = () => undefined;

  beforeAll(async () => {
    nats = await startNatsServer();
    t = await startTestSidecar({
      overrides: {
        node: 'member-1',
        nats: { url: nats.url },
        fleet: {
          enabled: true,
          hub: true,
          follow_kill: false,
          node_token: TOKENS.grafana,
          heartbeat_interval_ms: 600_000,
          stale_after_ms: 1_200_000,
          gone_after_ms: 2_400_000,
        },
      },
    });
    nc = await connect({ servers: nats.url });
    const kv = await new Kvm(nc).open('LOOKOUT_FLEET_NODES');
    // The sidecar creates the bucket as it connects, after its start returned.
    await waitFor(() => kv.status().then(() => true), 20_000);
    const it = await kv.watch({ key: 'member-1' });
    stopWatch = () => it.stop();
    void (async () => {
      for await (const e of it) if (e.operation === 'PUT') seen.push(e.json<NodeRecord>());
    })();
    // Settled: the record says the scheduler lease is held (taking it wrote the record once more at start).
    await waitFor(() => {
      const last = seen[seen.length - 1];
      return last && last.leases.length > 0;
    }, 20_000);
  }, 60_000);

  afterAll(async () => {
    stopWatch();
    await nc?.close();
    await t?.stop();
    if (nats) await deleteAllStreams(nats.url).catch(() => undefined);
    await nats?.dispose();
  });

  const killSwitch = (): TestSidecar['sidecar']['control']['killSwitch'] => t.sidecar.control.killSwitch;

  it('writes a burst of changes made before the record is read once, with the last state', async () => {
    const before = seen.length;
    // Three changes in one go: each asks for a write; the first write has not read the record yet.
    killSwitch().engage('test', 'burst 1');
    killSwitch().release('test', 'burst 2');
    killSwitch().engage('test', 'burst 3');
    await waitFor(() => seen.length > before, 10_000);
    // A marker change afterwards: its write is the next one the bucket gets, unless the burst wrote twice.
    killSwitch().release('test', 'marker');
    await waitFor(() => seen.some((r, i) => i >= before && !r.kill.engaged && r.kill.reason === 'marker'), 10_000);
    expect(seen.slice(before).map((r) => [r.kill.engaged, r.kill.reason])).toEqual([
      [true, 'burst 3'],
      [false, 'marker'],
    ]);
  });

  it('gives a change made while a write is in flight a write of its own', async () => {
    const before = seen.length;
    killSwitch().engage('test', 'first');
    // By now the write has read the record and waits for the server's acknowledgement.
    await new Promise((r) => setImmediate(r));
    killSwitch().release('test', 'second');
    // The heartbeat is ten minutes away: only a write for the second change can bring it.
    await waitFor(() => seen.length > before && seen[seen.length - 1]!.kill.reason === 'second', 10_000);
    expect(seen.slice(before).map((r) => r.kill.reason)).toEqual(['first', 'second']);
  });

  it("tells the hub view's listeners about each record it stores", async () => {
    const heard: { node: string; engaged: boolean; reason: string | null }[] = [];
    const stop = t.sidecar.fleet.hub!.view.onChange((node, record) =>
      heard.push({ node, engaged: record.kill.engaged, reason: record.kill.reason })
    );
    try {
      killSwitch().engage('test', 'listened');
      await waitFor(() => heard.some((h) => h.reason === 'listened'), 10_000);
      expect(heard.find((h) => h.reason === 'listened')).toEqual({
        node: 'member-1',
        engaged: true,
        reason: 'listened',
      });
      // The view stored that very record.
      expect(t.sidecar.fleet.hub!.view.node('member-1')?.record.kill).toMatchObject({
        engaged: true,
        reason: 'listened',
      });
    } finally {
      stop();
    }
  });
});
