import { type NatsConnection, connect } from '@nats-io/transport-node';
import type { ConfigInput } from '../../src/config/config-schema';
import { deleteAllStreams } from './jetstream';
import { type NatsServer, startNatsServer } from './nats-server';
import { type TestSidecar, startTestSidecar } from './sidecar';
import { waitFor } from './wait';

export interface NatsSidecar {
  nats: NatsServer;
  t: TestSidecar;
  /** A client connection of the test's own, as a workload or agent would have. */
  nc: NatsConnection;
  /** Closes the client, stops the sidecar, deletes the streams and disposes of the server. */
  stop(): Promise<void>;
}

/** A real nats-server, the real sidecar connected to it (`nats.url` is set here) and a client connection. */
export async function startNatsSidecar(overrides: ConfigInput = {}): Promise<NatsSidecar> {
  const nats = await startNatsServer();
  let t: TestSidecar | undefined;
  try {
    t = await startTestSidecar({ overrides: { ...overrides, nats: { ...overrides.nats, url: nats.url } } });
    const sidecar = t;
    await waitFor(() => sidecar.sidecar.ctx.bus.isConnected());
    const nc = await connect({ servers: nats.url });
    return {
      nats,
      t,
      nc,
      async stop() {
        await nc.close();
        await sidecar.stop();
        await deleteAllStreams(nats.url);
        await nats.dispose();
      },
    };
  } catch (err) {
    // Nothing started here may outlive a failed start.
    await t?.stop();
    await nats.dispose();
    throw err;
  }
}
