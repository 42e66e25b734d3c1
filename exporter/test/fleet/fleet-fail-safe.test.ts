import path from 'node:path';
import { freePort } from '../helpers/free-port';
import { type NatsServer, startNatsServer } from '../helpers/nats-server';
import { TOKENS, type TestSidecar, makeWorkspace, startTestSidecar } from '../helpers/sidecar';
import { deleteAllStreams } from '../helpers/jetstream';
import { waitFor } from '../helpers/wait';

describe('a fleet node that cannot read the fleet state at start-up', () => {
  let nats: NatsServer | null = null;
  let t: TestSidecar | null = null;

  afterEach(async () => {
    await t?.stop();
    if (nats) {
      await deleteAllStreams(nats.url).catch(() => undefined);
      await nats.dispose();
    }
    t = null;
    nats = null;
  });

  /**
   * The workload's stop and start scripts (argv executors, no NATS needed): each writes the telemetry
   * the workload would, so the node's kill and release are verified while the cluster is away.
   */
  const script = (workspace: string, active: 0 | 1): { type: 'command'; argv: string[] } => ({
    type: 'command',
    argv: [
      process.execPath,
      '-e',
      `require('fs').writeFileSync(${JSON.stringify(path.join(workspace, 'telemetry', `state-${Date.now()}-${active}.json`))}, JSON.stringify({ metrics: { state_active: ${active} } }))`,
    ],
  });

  const start = async (port: number, failSafe: boolean, workspace: string): Promise<TestSidecar> =>
    startTestSidecar({
      workspace,
      overrides: {
        node: 'edge-1',
        nats: { url: `nats://127.0.0.1:${port}`, reconnect_wait_ms: 50, reconnect_max_wait_ms: 200 },
        actions: { executors: { kill: script(workspace, 0), kill_release: script(workspace, 1) } },
        fleet: {
          enabled: true,
          fail_safe: failSafe,
          startup_read_timeout_ms: 300,
          heartbeat_interval_ms: 200,
          stale_after_ms: 1000,
          node_token: TOKENS.grafana,
        },
      },
    });

  it('starts engaged when fail-safe, and releases once it reads a fleet state that does not stop it', async () => {
    const port = await freePort();
    t = await start(port, true, makeWorkspace());
    const sidecar = t.sidecar;
    const ks = sidecar.control.killSwitch.state();
    expect([ks.engaged, ks.actor]).toEqual([true, 'fleet:fail_safe']);
    const status = (await t.call('GET', '/api/v1/status', { as: 'viewer' })).body as {
      fleet: { kill: { readable: boolean } };
    };
    expect(status.fleet.kill.readable).toBe(false);
    // The engagement went through the kill action: the workload was stopped and that was verified.
    const kill = sidecar.control.actions.repo.listActions({ action: 'kill', limit: 5 })[0]!;
    await waitFor(() => sidecar.control.actions.get(kill.id)!.status === 'verified', 20_000);

    // The cluster comes back; no fleet kill is engaged: the fail-safe engagement is released.
    nats = await startNatsServer({ port });
    await waitFor(() => !sidecar.control.killSwitch.isEngaged(), 30_000);
    const release = sidecar.control.actions.repo.listActions({ action: 'kill_release', limit: 5 })[0]!;
    expect(release.actor).toBe('fleet:fail_safe');
    await waitFor(() => sidecar.control.actions.get(release.id)!.status === 'verified', 20_000);
  });

  it('does not engage when not fail-safe: it keeps what it last knew (running)', async () => {
    const port = await freePort();
    t = await start(port, false, makeWorkspace());
    expect(t.sidecar.control.killSwitch.isEngaged()).toBe(false);
    const status = (await t.call('GET', '/api/v1/status', { as: 'viewer' })).body as {
      fleet: { kill: { readable: boolean } };
    };
    expect(status.fleet.kill.readable).toBe(false);
  });
});
