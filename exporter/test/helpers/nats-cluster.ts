import fs from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { freePort } from './free-port';
import { type NatsServer, startNatsServer } from './nats-server';
import { waitFor } from './wait';

export interface NatsCluster {
  servers: NatsServer[];
  /** Every server's client URL, comma separated (what `nats.url` takes). */
  url: string;
  /** Waits until JetStream answers through every running server (a meta leader, quorum). */
  ready(): Promise<void>;
  /** Stops every server and removes their store folders. */
  dispose(): Promise<void>;
}

/**
 * Starts `size` real `nats-server` processes on loopback as one JetStream cluster (routes between all
 * of them, a server name each). `no_advertise`: clients know only the URLs they are given, so a test
 * decides which servers a client can reach (a proxy in front of one cuts a node off for good).
 */
export async function startNatsCluster(size = 3, opts: { goMaxProcs?: number } = {}): Promise<NatsCluster> {
  const clusterPorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = clusterPorts.map((p) => `"nats-route://127.0.0.1:${p}"`).join(', ');
  const servers: NatsServer[] = [];
  try {
    const started = await Promise.all(
      clusterPorts.map((cport, i) =>
        startNatsServer({
          goMaxProcs: opts.goMaxProcs,
          config: (port, storeDir) => `
server_name: "lookout-test-${i + 1}"
listen: "127.0.0.1:${port}"
jetstream {
  store_dir: "${storeDir}"
  max_memory_store: 64MB
  max_file_store: 1GB
}
cluster {
  name: "lookout-test"
  listen: "127.0.0.1:${cport}"
  routes: [${routes}]
  no_advertise: true
}
`,
        })
      )
    );
    servers.push(...started);
  } catch (err) {
    await Promise.all(servers.map((s) => s.dispose()));
    throw err;
  }
  const cluster: NatsCluster = {
    servers,
    url: servers.map((s) => s.url).join(','),
    async ready() {
      for (const s of servers.filter((x) => x.running())) {
        await waitFor(
          async () => {
            const nc = await connect({ servers: s.url, timeout: 1000 });
            try {
              const jsm = await jetstreamManager(nc, { timeout: 1000 });
              await jsm.getAccountInfo();
              return true;
            } finally {
              await nc.close();
            }
          },
          30_000,
          100
        );
      }
    },
    async dispose() {
      await Promise.all(servers.map((s) => s.dispose()));
      for (const s of servers) fs.rmSync(s.storeDir, { recursive: true, force: true });
    },
  };
  await cluster.ready();
  return cluster;
}
