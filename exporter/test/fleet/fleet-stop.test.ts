import { type NatsServer, startNatsServer } from '../helpers/nats-server';
import { TOKENS, type TestSidecar, startTestSidecar } from '../helpers/sidecar';
import { deleteAllStreams } from '../helpers/jetstream';

/** Resolves with what `p` resolves with, or rejects when it has not settled within `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, bound]).finally(() => clearTimeout(timer));
}

describe('a fleet hub stopped while its parts are still connecting', () => {
  let nats: NatsServer;

  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(async () => {
    await deleteAllStreams(nats.url).catch(() => undefined);
    await nats.dispose();
  });

  /**
   * Right after start the hub's durable consumer, its view of the nodes bucket and the kill follower's
   * watch are still being set up on the server. A stop that came then used to find nothing to close, and
   * the part then waited forever on the consumer or watch it went on to open (a SIGTERM during start-up
   * never finished). Each round starts a hub and stops it at once; every stop must finish.
   */
  it('stops every time, however early the stop comes', async () => {
    for (let round = 0; round < 5; round++) {
      const t: TestSidecar = await startTestSidecar({
        overrides: {
          node: `hub-${round}`,
          nats: { url: nats.url },
          fleet: { enabled: true, hub: true, node_token: TOKENS.grafana },
        },
      });
      await within(t.stop(), 15_000, `stop of the hub in round ${round}`);
    }
  });
});
