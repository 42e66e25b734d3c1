/**
 * A small real fleet for the browser specs: one `nats-server` with JetStream (Debian's, on a free loopback port) and
 * two sidecars from the example-workload demo, each with its own workload answering over NATS. The first is also the
 * hub the harness's app talks to; both accept the hub's forwarding token (a `grafana`-role token), as a fleet's
 * nodes do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startSidecar, type Sidecar } from './sidecar';

export const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

export interface Fleet {
  hub: Sidecar;
  node: Sidecar;
  /** The node names: the hub's and the other sidecar's. */
  names: { hub: string; node: string };
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function startNats(): Promise<{ url: string; stop(): Promise<void> }> {
  if (!fs.existsSync(NATS_SERVER_BIN)) {
    throw new Error(`${NATS_SERVER_BIN} is missing: apt-get install -y nats-server`);
  }
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-harness-nats-'));
  const child: ChildProcess = spawn(NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`nats-server not ready in 15 s\n${log}`)), 15_000);
    child.stderr!.on('data', (b: Buffer) => {
      log += b.toString();
      if (log.includes('Server is ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code}\n${log}`));
    });
  });
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startFleet(): Promise<Fleet> {
  const nats = await startNats();
  const nodeToken = crypto.randomBytes(18).toString('hex');
  const names = { hub: 'harness-hub', node: 'harness-node' };
  const fleetEnv = (node: string, hub: boolean): Record<string, string> => ({
    LOOKOUT_NODE: node,
    LOOKOUT_NATS_URL: nats.url,
    LOOKOUT_FLEET_ENABLED: 'true',
    LOOKOUT_FLEET_HUB: String(hub),
    LOOKOUT_FLEET_NODE_TOKEN: nodeToken,
    LOOKOUT_FLEET_HEARTBEAT_INTERVAL_MS: '500',
    LOOKOUT_FLEET_STALE_AFTER_MS: '5000',
    LOOKOUT_FLEET_LABELS: JSON.stringify({ role: hub ? 'hub' : 'worker' }),
  });
  const started: Sidecar[] = [];
  try {
    started.push(await startSidecar({ env: fleetEnv(names.hub, true), extraTokens: [`hub:grafana:${nodeToken}`] }));
    started.push(await startSidecar({ env: fleetEnv(names.node, false), extraTokens: [`hub:grafana:${nodeToken}`] }));
  } catch (err) {
    for (const s of started) {
      await s.stop();
    }
    await nats.stop();
    throw err;
  }
  const [hub, node] = started as [Sidecar, Sidecar];
  return {
    hub,
    node,
    names,
    async stop() {
      await node.stop();
      await hub.stop();
      await nats.stop();
    },
  };
}
