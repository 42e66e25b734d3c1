import { type NatsCluster, startNatsCluster } from '../helpers/nats-cluster';
import { type FleetNode, fleetAct, fleetView, startFleetNode } from '../helpers/fleet';
import { asGrafana } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';
import { deleteAllStreams } from '../helpers/jetstream';
import { type TcpProxy, startTcpProxy } from '../helpers/tcp-proxy';
import { connect } from '@nats-io/transport-node';
import fs from 'node:fs';
import path from 'node:path';

const alice = asGrafana({ login: 'alice', role: 'Admin' });
const eddie = asGrafana({ login: 'eddie', role: 'Editor' });
const vic = asGrafana({ login: 'vic', role: 'Viewer' });

describe('fleet kill switch on a three-server JetStream cluster', () => {
  let cluster: NatsCluster;
  let hub: FleetNode;
  const nodes: FleetNode[] = [];
  /** node-d reaches NATS only through this proxy: cutting it cuts the node off the fleet. */
  let proxy: TcpProxy;
  let cut: FleetNode;

  beforeAll(async () => {
    cluster = await startNatsCluster(3);
    hub = await startFleetNode({
      name: 'hub',
      natsUrl: cluster.url,
      workload: false,
      fleet: { hub: true, follow_kill: false },
    });
    for (const [name, region] of [
      ['node-a', 'eu'],
      ['node-b', 'eu'],
      ['node-c', 'us'],
    ] as const) {
      nodes.push(await startFleetNode({ name, natsUrl: cluster.url, fleet: { labels: { region } } }));
    }
    proxy = await startTcpProxy(cluster.servers[0]!.port);
    cut = await startFleetNode({
      name: 'node-d',
      natsUrl: proxy.url,
      workloadNatsUrl: cluster.url,
      fleet: { labels: { region: 'ap' } },
      overrides: { nats: { reconnect_wait_ms: 50, reconnect_max_wait_ms: 300, reconnect_jitter_ms: 50 } },
    });
    await waitFor(async () => {
      const v = await fleetView(hub.t);
      return [...nodes, cut].every((n) => v.nodes.some((x) => x.node === n.name && x.state === 'up'));
    }, 30_000);
  }, 120_000);

  afterAll(async () => {
    await cut?.stop();
    await proxy?.close();
    for (const n of nodes) await n.stop();
    await hub?.stop();
    if (cluster) await deleteAllStreams(cluster.servers[0]!.url).catch(() => undefined);
    await cluster?.dispose();
  });

  const verifiedAt = async (revision: number, engaged: boolean, names: string[]): Promise<void> => {
    let last: unknown = null;
    await waitFor(async () => {
      const v = await fleetView(hub.t);
      last = v.nodes.map((n) => [n.node, n.state, n.kill.engaged, n.fleet_kill, n.converged]);
      return names.every((name) => {
        const n = v.nodes.find((x) => x.node === name);
        return (
          n &&
          n.fleet_kill?.revision === revision &&
          n.fleet_kill.status === 'verified' &&
          n.kill.engaged === engaged &&
          n.converged
        );
      });
    }, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}; revision ${revision}; nodes: ${JSON.stringify(last)}`);
    });
  };

  it('a fleet kill reaches every node and each verifies it; a release likewise, audited on the hub and every node', async () => {
    const names = nodes.map((n) => n.name);
    const { plan, applied } = await fleetAct(hub.t, 'kill', { caller: alice, reason: 'fleet-wide halt drill' });
    // The plan showed each node going from running to stopped.
    const diff = (plan['nodes'] as { node: string; from: { engaged: boolean }; to: { engaged: boolean } }[]).filter(
      (n) => names.includes(n.node)
    );
    expect(diff.map((n) => [n.node, n.from.engaged, n.to.engaged]).sort()).toEqual(
      names.map((n) => [n, false, true]).sort()
    );
    const killRevision = applied['revision'] as number;
    await verifiedAt(killRevision, true, names);
    for (const n of nodes) {
      // Each node ran its own kill action, verified against its workload's telemetry; the workload stopped.
      const report = n.t.sidecar.ctx.kv.get<{ report: { action_id: string } }>('fleet:kill')!.report;
      const action = n.t.sidecar.control.actions.get(report.action_id)!;
      expect([n.name, action.action, action.status, action.trigger, action.actor]).toEqual([
        n.name,
        'kill',
        'verified',
        'fleet',
        'grafana:alice',
      ]);
      expect(n.sim!.getState().killed).toBe(true);
      expect(n.t.sidecar.control.killSwitch.isEngaged()).toBe(true);
    }

    // A node's own release is refused while the fleet kill engages it: the hub releases.
    const local = await nodes[0]!.t.call('POST', '/api/v1/actions/kill_release/plan', { as: 'admin', body: {} });
    expect((local.body as { interlocks: { code: string }[] }).interlocks.map((i) => i.code)).toContain(
      'fleet_kill_engaged'
    );

    const released = await fleetAct(hub.t, 'kill_release', { caller: alice, reason: 'drill over, resume trading' });
    await verifiedAt(released.applied['revision'] as number, false, names);
    for (const n of nodes) {
      expect(n.sim!.getState().killed).toBe(false);
      expect(n.t.sidecar.control.killSwitch.isEngaged()).toBe(false);
      // Audited on the node, naming the person who released it on the hub, with the reason.
      const rows = n.t.sidecar.control.audit.query({ action: 'fleet.kill_release', limit: 10 });
      expect(rows.map((r) => [r.actor, r.reason, r.role])).toEqual([
        ['grafana:alice', 'drill over, resume trading', 'admin'],
      ]);
    }
    const hubRows = hub.t.sidecar.control.audit.query({ actor: 'grafana:alice', limit: 20 });
    expect(hubRows.filter((r) => r.action === 'fleet.apply:kill_release').map((r) => [r.reason, r.status])).toEqual([
      ['drill over, resume trading', 202],
    ]);
  });

  it('a label selects a subset: only those nodes stop, the others keep running', async () => {
    const { applied } = await fleetAct(hub.t, 'kill', { caller: alice, selector: { labels: { region: 'eu' } } });
    await verifiedAt(applied['revision'] as number, true, ['node-a', 'node-b']);
    const c = (await fleetView(hub.t)).nodes.find((n) => n.node === 'node-c')!;
    expect([c.selected, c.kill.engaged, c.fleet_kill?.status]).toEqual([false, false, 'not_selected']);
    expect(nodes[2]!.sim!.getState().killed).toBe(false);
    const rel = await fleetAct(hub.t, 'kill_release', { caller: alice, selector: { labels: { region: 'eu' } } });
    await verifiedAt(rel.applied['revision'] as number, false, ['node-a', 'node-b']);
  });

  it('a fleet release leaves a node stopped locally as it is, and the plan says so before apply', async () => {
    const c = nodes[2]!;
    // An operator stops node-c on the node itself, before any fleet command.
    const plan = await c.t.call('POST', '/api/v1/actions/kill/plan', { as: 'operator', body: {} });
    const own = await c.t.call('POST', '/api/v1/actions/kill/apply', {
      as: 'operator',
      body: { plan_id: (plan.body as { plan_id: string }).plan_id, reason: 'local stop on node-c' },
      headers: { 'idempotency-key': 'local-stop-node-c' },
    });
    expect(own.status).toBe(202);
    await waitFor(() => c.t.sidecar.control.actions.get((own.body as { id: string }).id)?.status === 'verified');
    const kill = await fleetAct(hub.t, 'kill', { caller: alice, reason: 'fleet stop over a local one' });
    await verifiedAt(kill.applied['revision'] as number, true, ['node-a', 'node-b']);
    await waitFor(async () => {
      const report = (await fleetView(hub.t)).nodes.find((x) => x.node === 'node-c')?.fleet_kill;
      return !!report && report.revision === kill.applied['revision'] && report.status === 'unchanged';
    });
    const release = await fleetAct(hub.t, 'kill_release', { caller: alice, reason: 'fleet stop over' });
    const diff = (release.plan['nodes'] as { node: string; to: { engaged: boolean }; note: string | null }[]).find(
      (n) => n.node === 'node-c'
    )!;
    expect([diff.to.engaged, diff.note]).toEqual([true, expect.stringContaining('engaged locally by operator')]);
    await verifiedAt(release.applied['revision'] as number, false, ['node-a', 'node-b']);
    await waitFor(async () => {
      const report = (await fleetView(hub.t)).nodes.find((x) => x.node === 'node-c')?.fleet_kill;
      return !!report && report.revision === release.applied['revision'] && report.status === 'held_locally';
    });
    expect(c.t.sidecar.control.killSwitch.state()).toMatchObject({ engaged: true, actor: 'operator' });
    expect(c.sim!.getState().killed).toBe(true);
    // Released where it was stopped.
    const rel = await c.t.call('POST', '/api/v1/actions/kill_release/plan', { as: 'admin', body: {} });
    const ok = await c.t.call('POST', '/api/v1/actions/kill_release/apply', {
      as: 'admin',
      body: { plan_id: (rel.body as { plan_id: string }).plan_id, reason: 'local stop over' },
      headers: { 'idempotency-key': 'local-release-node-c' },
    });
    expect(ok.status).toBe(202);
    await waitFor(() => !c.t.sidecar.control.killSwitch.isEngaged() && !c.sim!.getState().killed);
  });

  it('refuses a Viewer the fleet actions, and an Editor the release', async () => {
    const viewerPlan = await hub.t.call('POST', '/api/v1/fleet/actions/kill/plan', { ...vic, body: {} });
    expect([viewerPlan.status, (viewerPlan.body as { error: { code: string } }).error.code]).toEqual([
      403,
      'forbidden',
    ]);
    const editorRelease = await hub.t.call('POST', '/api/v1/fleet/actions/kill_release/plan', { ...eddie, body: {} });
    expect([editorRelease.status, (editorRelease.body as { error: { code: string } }).error.code]).toEqual([
      403,
      'forbidden',
    ]);
  });

  it('reaches one node’s own pages through the hub, with each person’s role enforced by the node', async () => {
    const status = await hub.t.call('GET', '/api/v1/fleet/nodes/node-b/api/v1/status', vic);
    expect(status.status).toBe(200);
    const body = status.body as { node: string; auth: { actor: string; role: string } };
    expect([body.node, body.auth.actor, body.auth.role]).toEqual(['node-b', 'grafana:vic', 'viewer']);
    // An Editor may plan a kill on the node, not a release: the node decides with the forwarded role.
    const kill = await hub.t.call('POST', '/api/v1/fleet/nodes/node-b/api/v1/actions/kill/plan', {
      ...eddie,
      body: {},
    });
    expect(kill.status).toBe(200);
    const release = await hub.t.call('POST', '/api/v1/fleet/nodes/node-b/api/v1/actions/kill_release/plan', {
      ...eddie,
      body: {},
    });
    expect([release.status, (release.body as { error: { message: string } }).error.message]).toEqual([
      403,
      'kill_release needs the admin role; the token has operator',
    ]);
    // A Viewer's control call is refused on the hub already.
    const viewerPost = await hub.t.call('POST', '/api/v1/fleet/nodes/node-b/api/v1/actions/kill/plan', {
      ...vic,
      body: {},
    });
    expect(viewerPost.status).toBe(403);
  });

  it('a node cut off from NATS keeps its last kill state and shows stale; back, it catches up and converges', async () => {
    const all = [...nodes, cut].map((n) => n.name);
    const kill = await fleetAct(hub.t, 'kill', { caller: alice, reason: 'before the partition' });
    await verifiedAt(kill.applied['revision'] as number, true, all);

    await proxy.cut();
    await waitFor(() => !cut.t.sidecar.ctx.bus.isConnected());
    const release = await fleetAct(hub.t, 'kill_release', { caller: alice, reason: 'released during the partition' });
    const releaseRevision = release.applied['revision'] as number;
    await verifiedAt(
      releaseRevision,
      false,
      nodes.map((n) => n.name)
    );
    await waitFor(async () => (await fleetView(hub.t)).nodes.find((n) => n.node === 'node-d')?.state === 'stale');
    // Cut off, it cannot read the fleet state: it keeps what it last knew, engaged.
    expect(cut.t.sidecar.control.killSwitch.isEngaged()).toBe(true);
    expect(cut.sim!.getState().killed).toBe(true);
    const status = (await cut.t.call('GET', '/api/v1/status', { as: 'viewer' })).body as {
      fleet: { kill: { readable: boolean; revision: number } };
    };
    expect(status.fleet.kill).toMatchObject({ readable: false, revision: kill.applied['revision'] });
    // It keeps working meanwhile: what happens is stored and waits in its outbox.
    for (let i = 0; i < 20; i++) {
      fs.writeFileSync(
        path.join(cut.t.workspace, 'activity', `partition-${i}.json`),
        JSON.stringify({ id: `p-${i}`, type: 'process', status: 'done' })
      );
    }
    await waitFor(() =>
      cut.t.sidecar.ctx.events.repo.query({ kinds: ['activity.*'], limit: 100 }).length >= 20 ? true : false
    );
    const pending = (): number =>
      (cut.t.sidecar.ctx.status.snapshot()['bus'] as { outbox: { pending: number } }).outbox.pending;
    expect(pending()).toBeGreaterThanOrEqual(20);

    await proxy.restore();
    // Back: it reads the release and follows it (verified by its workload), and the hub sees it up again.
    await verifiedAt(releaseRevision, false, ['node-d']);
    expect(cut.sim!.getState().killed).toBe(false);
    await waitFor(() => pending() === 0);
    // Every event it stored, the partition's included, is in the hub feed exactly once.
    const local = cut.t.sidecar.ctx.events.repo.query({ after: 0, limit: 100_000 }).map((e) => e.id);
    const inHub = async (): Promise<string[]> => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const q: string = `/api/v1/fleet/feeds/all?node=node-d&limit=500${cursor ? `&cursor=${cursor}` : ''}`;
        const page = (await hub.t.call('GET', q, { as: 'viewer' })).body as {
          items: { id: string; node: string }[];
          next_cursor: string | null;
        };
        ids.push(...page.items.map((e) => e.id));
        cursor = page.next_cursor;
      } while (cursor);
      return ids;
    };
    await waitFor(async () => {
      const have = new Set(await inHub());
      return local.every((id) => have.has(id));
    }, 30_000);
    const hubIds = await inHub();
    expect(hubIds.length).toBe(new Set(hubIds).size);
    const localNow = new Set(cut.t.sidecar.ctx.events.repo.query({ after: 0, limit: 100_000 }).map((e) => e.id));
    expect(hubIds.filter((id) => !localNow.has(id))).toEqual([]);
  });

  it('the hub refuses a stream message that is not an event or names another node, and keeps consuming', async () => {
    const nc = await connect({ servers: cluster.url });
    try {
      const { jetstream } = await import('@nats-io/jetstream');
      const js = jetstream(nc);
      const enc = new TextEncoder();
      await js.publish('lookout.evt.node-a.watcher.file.changed', enc.encode('{not json'));
      const forged = {
        id: '01KZZZZZZZZZZZZZZZZZZZZZZZ',
        ts: new Date().toISOString(),
        node: 'node-b',
        source: 'watcher',
        kind: 'file.changed',
        severity: 'info',
        subject: 'x',
        data: {},
        trace_id: 't',
        actor: null,
      };
      // Published on node-a's subjects, claiming to be node-b.
      await js.publish('lookout.evt.node-a.watcher.file.changed', enc.encode(JSON.stringify(forged)));
      const metrics = async (): Promise<string> =>
        (await hub.t.call('GET', '/metrics', { as: 'viewer' })).body as string;
      await waitFor(async () => {
        const m = await metrics();
        return (
          /lookout_fleet_hub_rejected_total\{[^}]*reason="not_json"[^}]*\} 1/.test(m) &&
          /lookout_fleet_hub_rejected_total\{[^}]*reason="subject_mismatch"[^}]*\} 1/.test(m)
        );
      });
      expect(
        hub.t.sidecar.ctx.db.prepare('SELECT COUNT(*) AS n FROM fleet_events WHERE id = ?').get(forged.id)
      ).toEqual({ n: 0 });
      // Still consuming: a node's next event arrives.
      fs.writeFileSync(path.join(nodes[0]!.t.workspace, 'activity', 'after-refusal.json'), '{"id":"after"}');
      await waitFor(async () => {
        const page = (await hub.t.call('GET', '/api/v1/fleet/feeds/activity?node=node-a&limit=50', { as: 'viewer' }))
          .body as { items: { subject: string }[] };
        return page.items.some((e) => e.subject.endsWith('after-refusal.json'));
      });
    } finally {
      await nc.close();
    }
  });
});
