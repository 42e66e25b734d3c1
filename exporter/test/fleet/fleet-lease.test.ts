import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { type NatsCluster, startNatsCluster } from '../helpers/nats-cluster';
import { type ChildSidecar, startChildSidecar } from '../helpers/child-sidecar';
import { deleteAllStreams } from '../helpers/jetstream';
import { TEST_FLEET } from '../helpers/fleet';
import { tempDir } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';

const TTL = TEST_FLEET.lease_ttl_ms;
const LEASE_KEY = 'default.scheduler';

interface Claim {
  revision: number;
  holder: string | null;
  acquired_at: string | null;
  claimed_at: string;
  valid_until: string | null;
}

/** Every claim of the scheduler lease, oldest first: the lease bucket keeps each renewal as a revision. */
async function claims(url: string): Promise<Claim[]> {
  const nc = await connect({ servers: url });
  try {
    const kv = await new Kvm(jetstream(nc)).open('LOOKOUT_FLEET_LEASES');
    const out: Claim[] = [];
    for await (const e of await kv.history({ key: LEASE_KEY })) {
      if (e.operation === 'PUT') out.push({ revision: e.revision, ...(e.json() as Omit<Claim, 'revision'>) });
    }
    return out.sort((a, b) => a.revision - b.revision);
  } finally {
    await nc.close();
  }
}

/**
 * Leadership terms from the claims: a holder leads from the moment it sent its first claim until the
 * end of the term its last claim (or renewal) gave it — what its `isLeader()` answers, whether or not
 * it lived to see that end.
 */
function terms(all: Claim[]): { holder: string; from: number; to: number }[] {
  const out: { holder: string; from: number; to: number }[] = [];
  for (const c of all) {
    if (!c.holder || !c.valid_until) continue;
    const last = out[out.length - 1];
    if (last && last.holder === c.holder) last.to = Date.parse(c.valid_until);
    else out.push({ holder: c.holder, from: Date.parse(c.claimed_at), to: Date.parse(c.valid_until) });
  }
  return out;
}

describe('the scheduler lease across a fleet (real sidecar processes)', () => {
  let cluster: NatsCluster;
  const children: ChildSidecar[] = [];

  beforeAll(async () => {
    cluster = await startNatsCluster(3);
    for (let i = 0; i < 3; i++) {
      children.push(
        await startChildSidecar({
          node: `lease-${i}`,
          data_dir: tempDir(`lease-${i}`),
          watch: { root: tempDir(`lease-ws-${i}`) },
          nats: { url: cluster.url, stream_replicas: 3, reconnect_wait_ms: 50, reconnect_max_wait_ms: 500 },
          fleet: { enabled: true, ...TEST_FLEET },
        })
      );
    }
  }, 120_000);

  afterAll(async () => {
    for (const c of children) await c.stop();
    await deleteAllStreams(cluster.servers[0]!.url).catch(() => undefined);
    await cluster?.dispose();
  });

  const leaderOf = async (c: ChildSidecar): Promise<boolean> => {
    const r = await c.call('GET', '/api/v1/status', { as: 'viewer' });
    return (r.body as { scheduler: { leader: boolean } }).scheduler.leader;
  };

  it('passes to another node within the TTL when its holder is killed, and is never held by two at once', async () => {
    // Exactly one node leads.
    const holderIdx = await waitFor(async () => {
      const leads = await Promise.all(children.map(leaderOf));
      return leads.filter(Boolean).length === 1 ? leads.indexOf(true) + 1 : 0;
    }, 30_000);
    const holder = children[holderIdx - 1]!;
    const survivors = children.filter((c) => c !== holder);

    const killedAt = Date.now();
    await holder.kill();
    // While the lease changes hands, the survivors never both say they lead.
    let both = 0;
    const next = await waitFor(async () => {
      const leads = await Promise.all(survivors.map(leaderOf));
      if (leads[0] && leads[1]) both++;
      return leads.filter(Boolean).length === 1 ? survivors[leads.indexOf(true)] : null;
    }, 30_000);
    expect(both).toBe(0);
    // Let the new holder renew a few times, then read every claim ever made.
    const n0 = (await claims(cluster.url)).length;
    await waitFor(async () => (await claims(cluster.url)).length >= n0 + 3);
    const all = await claims(cluster.url);
    const t = terms(all);
    // The dead holder's successor took over within the TTL of the kill.
    const successor = t.find(
      (x) => x.from >= killedAt - TTL && x.holder.startsWith(`lease-${children.indexOf(next)}/`)
    );
    expect(successor).toBeDefined();
    expect(successor!.from - killedAt).toBeLessThanOrEqual(TTL);
    // No two terms overlap: each starts after the previous one ended.
    const overlaps = t.slice(1).filter((x, i) => x.from < t[i]!.to);
    expect(overlaps).toEqual([]);
    expect(t.length).toBeGreaterThanOrEqual(2);
  });
});
