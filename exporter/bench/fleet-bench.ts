import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { type NatsCluster, startNatsCluster } from '../test/helpers/nats-cluster';
import { deleteAllStreams } from '../test/helpers/jetstream';
import type { ConfigInput } from '../src/config/config-schema';
import { type BenchOptions, type BenchRow, ratioOf, selected } from './bench-row';
import { type BenchSidecar, startBenchSidecar } from './bench-sidecar';
import { loadExamples } from './examples-loader';
import type { FleetNodeJob, FleetNodeMessage } from './fleet-node-worker';
import { waitUntil, writeFiles } from './paced-writer';
import { nowMs, summarize } from './stats';

export const benches = ['fleet-kill', 'hub-feed'] as const;

const ADMIN = 'bench-admin-secret-0123456789abcdef';
const NODE_TOKEN = 'bench-fleet-node-token-0123456789';

interface NodeThread {
  name: string;
  url: string;
  workspace: string;
  worker: Worker;
  /** When each action of this node ended, by action id (reported by the node's thread). */
  finished: Map<string, { status: string; at: number }>;
  /** The node's own activity events: `node|file` → when its event log stored it. */
  own(): Promise<Map<string, number>>;
  /** Checkpoints the node's write-ahead log now (its next automatic checkpoint comes a full log later). */
  checkpoint(): Promise<void>;
  stop(): Promise<void>;
}

async function startNodeThread(job: FleetNodeJob): Promise<NodeThread> {
  const worker = new Worker(path.join(__dirname, 'fleet-node-worker.js'), { workerData: job });
  const finished = new Map<string, { status: string; at: number }>();
  const waiters: ((m: FleetNodeMessage) => void)[] = [];
  worker.on('message', (m: FleetNodeMessage) => {
    if (m.type === 'action') finished.set(m.id, { status: m.status, at: m.at });
    else for (const w of waiters.splice(0)) w(m);
  });
  const next = (type: FleetNodeMessage['type']): Promise<FleetNodeMessage> =>
    new Promise((resolve, reject) => {
      const onExit = (code: number): void => reject(new Error(`node thread ${job.name} exited (${code})`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      const wait = (m: FleetNodeMessage): void => {
        if (m.type !== type) return void waiters.push(wait);
        worker.off('error', reject);
        worker.off('exit', onExit);
        resolve(m);
      };
      waiters.push(wait);
    });
  const ready = (await next('ready')) as Extract<FleetNodeMessage, { type: 'ready' }>;
  return {
    name: job.name,
    url: ready.url,
    workspace: ready.workspace,
    worker,
    finished,
    async own() {
      const reply = next('own');
      worker.postMessage({ type: 'own' });
      return new Map(((await reply) as Extract<FleetNodeMessage, { type: 'own' }>).keys);
    },
    async checkpoint() {
      const done = next('checkpointed');
      worker.postMessage({ type: 'checkpoint' });
      await done;
    },
    async stop() {
      const done = next('stopped');
      worker.postMessage({ type: 'stop' });
      await done;
      await worker.terminate();
    },
  };
}

/**
 * A fleet on this host: the hub (no workload) in this thread, and `n` sidecars — each with the example
 * workload on NATS when `workloads` — on threads of their own.
 */
async function startFleet(
  cluster: NatsCluster,
  n: number,
  workloads: boolean
): Promise<{ hub: BenchSidecar; nodes: NodeThread[]; stop(): Promise<void> }> {
  const config = (name: string, extra: NonNullable<ConfigInput['fleet']> = {}): ConfigInput => ({
    node: name,
    heartbeat_interval_ms: 600_000,
    tokens: [
      { name: 'admin', role: 'admin', secret: ADMIN },
      { name: 'hub', role: 'grafana', secret: NODE_TOKEN },
    ],
    nats: { url: cluster.url, stream_replicas: 3 },
    http: { control_rate_limit_per_minute: 1_000_000 },
    fleet: {
      enabled: true,
      replicas: 3,
      heartbeat_interval_ms: 1000,
      stale_after_ms: 5000,
      node_token: NODE_TOKEN,
      ...extra,
    },
  });
  const nodes: NodeThread[] = [];
  let hub: BenchSidecar | null = null;
  const stop = async (): Promise<void> => {
    for (const t of nodes) await t.stop();
    await hub?.close();
  };
  try {
    hub = await startBenchSidecar(config('bench-hub', { hub: true, follow_kill: false }));
    for (let i = 1; i <= n; i++) {
      const name = `bench-${i}`;
      nodes.push(await startNodeThread({ name, natsUrl: cluster.url, workload: workloads, config: config(name) }));
    }
    const view = hub.sidecar.fleet.hub!.view;
    await waitUntil(() => nodes.every((m) => view.node(m.name)?.state === 'up'), 30_000, 'every node up on the hub');
    return { hub, nodes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

let keys = 0;

/** Fleet kill rounds run before the counted ones. */
const WARM_UP = 10;

async function post(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${ADMIN}`,
      'content-type': 'application/json',
      'idempotency-key': `bench-${process.pid}-${++keys}`,
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Plans on `base` (a node's own actions, or the hub's fleet actions); returns a function that applies it. */
async function planned(base: string, name: string): Promise<() => Promise<Record<string, unknown>>> {
  const plan = await post(`${base}/${name}/plan`, {});
  if (plan.status !== 200) throw new Error(`plan ${name}: ${plan.status} ${JSON.stringify(plan.body)}`);
  return async () => {
    const r = await post(`${base}/${name}/apply`, { plan_id: plan.body['plan_id'], reason: `fleet bench ${name}` });
    if (r.status !== 202) throw new Error(`apply ${name}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
}

/**
 * Fleet kill: apply on the hub → every node (5 sidecars, each with its workload, on a 3-server cluster)
 * stopped and verified — timed like the baseline, to each node's own `action.verified` — against one node's
 * own kill → verified, runs interleaved in the same fleet; and apply → the hub showing every node verified
 * (when it stores the last record saying so), the figure an operator sees. Each run is released before the
 * next.
 */
async function fleetKillBench(cluster: NatsCluster, runs: number): Promise<BenchRow[]> {
  const f = await startFleet(cluster, 5, true);
  try {
    const hubUrl = f.hub.sidecar.url;
    const view = f.hub.sidecar.fleet.hub!.view;
    const one = f.nodes[0]!;
    const fleetSamples: number[] = [];
    const shownSamples: number[] = [];
    const localSamples: number[] = [];
    /** Each node's record as the hub last stored it (kept from the view's notifications). */
    const records = new Map(view.nodes({ lastEvents: false }).map((n) => [n.node, n.record]));
    const stopRecords = view.onChange((node, record) => records.set(node, record));
    const allAt = (revision: number, engaged: boolean, status: string): boolean =>
      f.nodes.every((m) => {
        const r = records.get(m.name);
        return r?.fleet_kill?.revision === revision && r.fleet_kill.status === status && r.kill.engaged === engaged;
      });
    /**
     * Resolves when every node's record on the hub shows the revision followed: checked each time the hub
     * stores a record, so the time taken is when the hub knew, and the hub's thread does no polling.
     */
    const untilAll = (revision: number, engaged: boolean, status: string, what: string): Promise<void> =>
      new Promise((resolve, reject) => {
        const done = (err?: Error): void => {
          stop();
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        };
        const stop = view.onChange(() => {
          if (allAt(revision, engaged, status)) done();
        });
        const timer = setTimeout(() => done(new Error(`${what} not reached in 30000 ms`)), 30_000);
        if (allAt(revision, engaged, status)) done();
      });
    // Warm-up rounds first, not counted: the first kills on each node prepare statements, and each node's
    // follow path runs once a round, so V8 optimises it only after several (the slowest runs cluster in the
    // first eight or so otherwise).
    for (let i = -WARM_UP; i < runs; i++) {
      // Nodes out of step: each node's SQLite checkpoints its write-ahead log every 1,000 pages, and five
      // nodes started together doing the same work would all checkpoint in the same run — which hosts with
      // their own histories never do. Checkpointing node k in warm-up round k puts them a round apart.
      const k = i + WARM_UP;
      if (k < f.nodes.length) await f.nodes[k]!.checkpoint();
      // Fleet kill, timed from the apply request to every node's kill action verified (each node's own
      // `action.verified`, as the baseline is timed), and to the hub showing them all verified (what an
      // operator sees: the membership reports and the hub's watch on top).
      const kill = await planned(`${hubUrl}/api/v1/fleet/actions`, 'kill');
      const t0 = nowMs();
      const applied = await kill();
      const rev = applied['revision'] as number;
      await untilAll(rev, true, 'verified', 'every node verified');
      const shownAt = nowMs();
      const ids = f.nodes.map((m) => ({ m, id: records.get(m.name)!.fleet_kill!.action_id! }));
      await waitUntil(() => ids.every(({ m, id }) => m.finished.has(id)), 30_000, 'every node reported its action');
      if (i >= 0) {
        fleetSamples.push(Math.max(...ids.map(({ m, id }) => m.finished.get(id)!.at)) - t0);
        shownSamples.push(shownAt - t0);
      }
      const release = await planned(`${hubUrl}/api/v1/fleet/actions`, 'kill_release');
      const rel = (await release())['revision'] as number;
      await untilAll(rel, false, 'verified', 'every node released');

      // One node's own kill, timed from its apply request to its action verified.
      const own = await planned(`${one.url}/api/v1/actions`, 'kill');
      const t1 = nowMs();
      const id = (await own())['id'] as string;
      await waitUntil(() => one.finished.get(id)?.status === 'verified', 30_000, 'own kill verified');
      if (i >= 0) localSamples.push(one.finished.get(id)!.at - t1);
      const ownRelease = await planned(`${one.url}/api/v1/actions`, 'kill_release');
      const relId = (await ownRelease())['id'] as string;
      await waitUntil(() => one.finished.get(relId)?.status === 'verified', 30_000, 'own release verified');
    }
    stopRecords();
    const fleet = summarize(fleetSamples);
    const shown = summarize(shownSamples);
    const local = summarize(localSamples);
    const ratio = ratioOf(fleet.p99, local.p99);
    const shownRatio = ratioOf(shown.p99, local.p99);
    return [
      {
        name: `fleet kill: hub apply → 5 nodes stopped and verified (the last node's action.verified), p99 (${runs} runs after ${WARM_UP} warm-up; baseline: one node's own kill → its action.verified, interleaved)`,
        value: fleet.p99,
        baseline: local.p99,
        ratio,
        target: 'ratio ≤ 2',
        pass: ratio !== null && ratio <= 2,
        unit: 'ms',
      },
      {
        name: `fleet kill: hub apply → the hub shows all 5 verified (the figure an operator sees), p99 (${runs} runs), absolute`,
        value: shown.p99,
        baseline: null,
        ratio: null,
        target: 'p99 < 1000 ms',
        pass: shown.p99 < 1000,
        unit: 'ms',
      },
      {
        name: `fleet kill: hub apply → the hub shows all 5 verified, p99, against one node's own kill`,
        value: shown.p99,
        baseline: local.p99,
        ratio: shownRatio,
        target: 'ratio ≤ 2',
        pass: shownRatio !== null && shownRatio <= 2,
        unit: 'ms',
      },
    ];
  } finally {
    await f.stop();
  }
}

/**
 * Hub feed lag at `rate` events/s spread over 3 nodes: file written on a node → event stored in the hub's
 * fleet feed, p99, against the same files → the node's own feed (its event log) in the same run.
 */
async function hubFeedBench(cluster: NatsCluster, rate: number, seconds: number): Promise<BenchRow[]> {
  const f = await startFleet(cluster, 3, false);
  try {
    const hubEvents = f.hub.sidecar.fleet.hub!.events;
    const key = (node: string, file: unknown): string => `${node}|${String(file)}`;
    const inHub = new Map<string, number>();
    const unsubscribe = hubEvents.onAppend((batch) => {
      const at = nowMs();
      for (const e of batch) if (e.kind.startsWith('activity.')) inHub.set(key(e.node, e.data['file_path']), at);
    });
    const perNode = rate / f.nodes.length;
    const count = Math.round(perNode * seconds);
    const written = await Promise.all(
      f.nodes.map((m) => writeFiles({ root: m.workspace, relDir: 'activity/tasks', rate: perNode, count }))
    );
    const keysOf = written.flatMap((w, i) =>
      w.relPaths.map((p, j) => ({ k: key(f.nodes[i]!.name, p), at: w.writtenAt[j]! }))
    );
    await waitUntil(() => keysOf.every((x) => inHub.has(x.k)), 120_000, 'every event in the hub feed');
    unsubscribe();
    const own = new Map<string, number>();
    for (const m of f.nodes) for (const [k, at] of await m.own()) own.set(k, at);
    const hubLag = summarize(keysOf.map((x) => inHub.get(x.k)! - x.at));
    const ownLag = summarize(keysOf.map((x) => own.get(x.k)! - x.at));
    const ratio = ratioOf(hubLag.p99, ownLag.p99);
    return [
      {
        name: `hub feed lag at ${rate} events/s over 3 nodes: file → hub fleet feed, p99 (${keysOf.length} events; baseline: file → the node's own feed)`,
        value: hubLag.p99,
        baseline: ownLag.p99,
        ratio,
        target: 'ratio ≤ 2',
        pass: ratio !== null && ratio <= 2,
        unit: 'ms',
      },
      {
        name: `hub feed lag at ${rate} events/s, p50 (context)`,
        value: hubLag.p50,
        baseline: ownLag.p50,
        ratio: ratioOf(hubLag.p50, ownLag.p50),
        target: '',
        pass: null,
        unit: 'ms',
      },
    ];
  } finally {
    await f.stop();
  }
}

export async function run(opts?: BenchOptions): Promise<BenchRow[]> {
  const quick = opts?.quick ?? false;
  const rows: BenchRow[] = [];
  // Built (when stale) here, once, before the node threads load it.
  if (selected(opts, 'fleet-kill')) await loadExamples((m) => process.stderr.write(`[fleet-bench] ${m}\n`));
  // Three servers on one host: each is given its share of the cores, as each would have a host of its own
  // (Go's default, every core each, lets three schedulers spin for the cores the sidecars need).
  const cluster = await startNatsCluster(3, { goMaxProcs: Math.max(1, Math.floor(os.availableParallelism() / 3)) });
  try {
    if (selected(opts, 'fleet-kill')) rows.push(...(await fleetKillBench(cluster, quick ? 3 : 30)));
    await deleteAllStreams(cluster.servers[0]!.url);
    if (selected(opts, 'hub-feed')) rows.push(...(await hubFeedBench(cluster, 1000, quick ? 2 : 10)));
  } finally {
    await cluster.dispose();
  }
  return rows;
}
