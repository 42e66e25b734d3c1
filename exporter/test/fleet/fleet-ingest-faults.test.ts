import fs from 'node:fs';
import path from 'node:path';
import { type NatsCluster, startNatsCluster } from '../helpers/nats-cluster';
import { type FleetNode, startFleetNode } from '../helpers/fleet';
import { deleteAllStreams } from '../helpers/jetstream';
import { waitFor } from '../helpers/wait';

/** Every event id of one node in the hub feed, read through the fleet feed API page by page. */
async function hubFeedIds(hub: FleetNode, node: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const q: string = `/api/v1/fleet/feeds/all?node=${node}&limit=500${cursor ? `&cursor=${cursor}` : ''}`;
    const r = await hub.t.call('GET', q, { as: 'viewer' });
    const page = r.body as { items: { id: string; node: string }[]; next_cursor: string | null };
    for (const e of page.items) {
      if (e.node !== node) throw new Error(`the feed for ${node} served an event of ${e.node}`);
      ids.push(e.id);
    }
    cursor = page.next_cursor;
  } while (cursor);
  return ids;
}

describe('one NATS server of three dies (SIGKILL) while every node ingests', () => {
  let cluster: NatsCluster;
  let hub: FleetNode;
  const nodes: FleetNode[] = [];

  beforeAll(async () => {
    cluster = await startNatsCluster(3);
    // Each client gets the servers in another order, so the nodes spread over the cluster.
    const rotate = (i: number): string => {
      const urls = cluster.servers.map((s) => s.url);
      return [...urls.slice(i % 3), ...urls.slice(0, i % 3)].join(',');
    };
    const fast = { nats: { reconnect_wait_ms: 50, reconnect_max_wait_ms: 500, reconnect_jitter_ms: 50 } };
    hub = await startFleetNode({
      name: 'hub',
      natsUrl: rotate(0),
      workload: false,
      fleet: { hub: true, follow_kill: false },
      overrides: fast,
    });
    for (let i = 0; i < 3; i++) {
      nodes.push(await startFleetNode({ name: `ingest-${i}`, natsUrl: rotate(i), workload: false, overrides: fast }));
    }
  }, 120_000);

  afterAll(async () => {
    for (const n of nodes) await n.stop();
    await hub?.stop();
    const alive = cluster?.servers.find((s) => s.running());
    if (alive) await deleteAllStreams(alive.url).catch(() => undefined);
    await cluster?.dispose();
  });

  it('loses no event and stores none twice in the hub feed; the nodes of the dead server reconnect to the others', async () => {
    const urlOf = (n: FleetNode): string | null =>
      n.t.sidecar.ctx.bus.isConnected()
        ? (n.t.sidecar.ctx.status.snapshot()['bus'] as { server: string | null }).server
        : null;
    await waitFor(() => nodes.every((n) => urlOf(n) !== null));
    // The server the first node talks to dies: at least one node loses its server mid-stream.
    const victimUrl = urlOf(nodes[0]!)!;
    const victim = cluster.servers.find((s) => victimUrl.endsWith(`:${s.port}`))!;
    const onVictim = nodes.filter((n) => urlOf(n) === victimUrl);
    expect(onVictim.length).toBeGreaterThan(0);

    let writing = true;
    let written = 0;
    const perNode = new Map<string, number>();
    const writers = nodes.map(async (n) => {
      for (let i = 0; writing; i++) {
        fs.writeFileSync(
          path.join(n.t.workspace, 'activity', `burst-${i}.json`),
          JSON.stringify({ id: `${n.name}-${i}`, type: 'process', status: 'done' })
        );
        perNode.set(n.name, i + 1);
        written++;
        await new Promise((r) => setTimeout(r, 15));
      }
    });
    await waitFor(() => written >= 60);
    await victim.crash();
    const crashedAt = written;
    await waitFor(() => written >= crashedAt + 90);
    writing = false;
    await Promise.all(writers);

    // The nodes that lost their server found another one.
    await waitFor(() => onVictim.every((n) => urlOf(n) !== null && urlOf(n) !== victimUrl), 30_000);
    for (const n of nodes) {
      // Every file became one event on its node (the fault is in NATS, not in the store).
      const activity = (): number =>
        n.t.sidecar.ctx.events.repo.query({ kinds: ['activity.*'], limit: 100_000 }).length;
      await waitFor(() => activity() === perNode.get(n.name), 30_000);
    }
    for (const n of nodes) {
      const local = () => n.t.sidecar.ctx.events.repo.query({ after: 0, limit: 100_000 }).map((e) => e.id);
      const want = local();
      await waitFor(async () => {
        const have = new Set(await hubFeedIds(hub, n.name));
        return want.every((id) => have.has(id));
      }, 60_000);
      const ids = await hubFeedIds(hub, n.name);
      const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
      expect([n.name, dupes]).toEqual([n.name, []]);
      const now = new Set(local());
      expect([n.name, ids.filter((id) => !now.has(id))]).toEqual([n.name, []]);
    }
  });
});
