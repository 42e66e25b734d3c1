import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { type BenchOptions, type BenchRow, ratioOf, selected } from './bench-row';
import { BENCH_TOKEN } from './bench-sidecar';
import type { PacedWriteJob, PacedWriteResult } from './paced-writer-worker';
import type { StreamClientJob, StreamClientResult } from './stream-client-worker';
import { type LatencySummary, median, summarize } from './stats';

/** Issue 14's stream fan-out benchmark. */
export const benches = ['stream'] as const;

const log = (msg: string): void => void process.stderr.write(`[stream-bench] ${msg}\n`);

const RATE = 1000;
/** Lineage index rewrites per second during a phase (each a `lineage.updated` the panel-like clients get). */
const LINEAGE_PER_S = 10;
/** Client threads: the clients are spread over them so reading 100k frames/s does not queue in one loop. */
const CLIENT_THREADS = 2;
const CLIENTS = 500;
/** Clients that follow the activity flood (a feed panel); the others subscribe like the lineage panel and gallery. */
const FLOOD_CLIENTS = 100;
const FLOOD_QUERY = 'kind=activity.tasks';
const PANEL_QUERY = 'kind=lineage.*,artifact.*';
/** After the last write, how long events get to reach the clients (the watcher finds files within ~1 s). */
const DRAIN_MS = 3000;
const MIB = 1024 * 1024;
/** http.sse_max_buffered_bytes's default: what one client may hold in the sidecar before it is cut off. */
const PER_CLIENT_CAP = 1 * MIB;

interface Sidecar {
  child: ChildProcess;
  url: string;
  workspace: string;
}

interface Phase {
  name: string;
  latency: LatencySummary;
  floodReceivedMin: number;
  files: number;
  panelReceived: number[];
  /** Every panel-like client of the phase got the same number of lineage events, and some. */
  panelUniform: boolean;
  dropped: number;
  rssPeak: number;
}

function once<T>(child: ChildProcess, pick: (m: Record<string, unknown>) => T | undefined, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Record<string, unknown>): void => {
      const v = pick(m);
      if (v === undefined) return;
      cleanup();
      resolve(v);
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`stream bench sidecar exited (${code}) while waiting for ${what}`));
    };
    const cleanup = (): void => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function startSidecar(relDirs: string[]): Promise<Sidecar> {
  const child = fork(path.join(__dirname, 'stream-sidecar-child.js'), [relDirs.join(',')], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = await once(
    child,
    (m) => (m['ready'] ? (m as { url: string; workspace: string }) : undefined),
    'the sidecar to start'
  );
  return { child, url: ready.url, workspace: ready.workspace };
}

function rss(s: Sidecar, what: 'start' | 'stop'): Promise<number> {
  s.child.send({ rss: what });
  if (what === 'start') return Promise.resolve(0);
  return once(s.child, (m) => (typeof m['rssPeak'] === 'number' ? m['rssPeak'] : undefined), 'an RSS reading');
}

function writeFiles(job: PacedWriteJob): Promise<PacedWriteResult> {
  const worker = new Worker(path.join(__dirname, 'paced-writer-worker.js'), { workerData: job });
  return new Promise((resolve, reject) => {
    worker.once('message', (r: PacedWriteResult) => {
      void worker.terminate();
      resolve(r);
    });
    worker.once('error', reject);
  });
}

/** Opens the clients over a few threads; resolves once every stream is open. */
async function openClients(url: string, queries: string[]): Promise<Worker[]> {
  const per = Math.ceil(queries.length / CLIENT_THREADS);
  const workers: Worker[] = [];
  const ready: Promise<void>[] = [];
  for (let i = 0; i < queries.length; i += per) {
    const job: StreamClientJob = { url, token: BENCH_TOKEN, queries: queries.slice(i, i + per) };
    const w = new Worker(path.join(__dirname, 'stream-client-worker.js'), { workerData: job });
    workers.push(w);
    ready.push(
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('SSE clients did not all connect within 60 s')), 60_000);
        w.once('message', () => {
          clearTimeout(timer);
          resolve();
        });
        w.once('error', reject);
      })
    );
  }
  await Promise.all(ready);
  return workers;
}

async function closeClients(workers: Worker[]): Promise<StreamClientResult[]> {
  const results = await Promise.all(
    workers.map(
      (w) =>
        new Promise<StreamClientResult>((resolve, reject) => {
          w.once('message', (r: StreamClientResult) => resolve(r));
          w.once('error', reject);
          w.postMessage('stop');
        })
    )
  );
  await Promise.all(workers.map((w) => w.terminate()));
  return results;
}

/** One phase: the clients connected, then RATE activity files/s and LINEAGE_PER_S lineage rewrites/s for `seconds`. */
async function runPhase(s: Sidecar, name: string, queries: string[], seconds: number, relDir: string): Promise<Phase> {
  const workers = await openClients(s.url, queries);
  await rss(s, 'start');
  for (const w of workers) w.postMessage('measure');
  let gen = 0;
  const lineageFile = path.join(s.workspace, 'lineage/lineage_index.json');
  const lineage = setInterval(() => {
    gen++;
    const doc = {
      model: 'bench',
      generations: [
        { id: 'g1', parent: null, status: 'active', created_at: '2026-12-01T10:00:00Z', kpis: {}, artifacts: [] },
        {
          id: 'g2',
          parent: 'g1',
          status: 'candidate',
          created_at: '2026-12-01T11:00:00Z',
          kpis: {},
          artifacts: [],
          notes: `rewrite ${name} ${gen}`,
        },
      ],
    };
    fs.writeFileSync(lineageFile + '.tmp', JSON.stringify(doc));
    fs.renameSync(lineageFile + '.tmp', lineageFile);
  }, 1000 / LINEAGE_PER_S);
  let written: PacedWriteResult;
  try {
    written = await writeFiles({ root: s.workspace, relDir, rate: RATE, count: RATE * seconds });
  } finally {
    clearInterval(lineage);
  }
  await new Promise((r) => setTimeout(r, DRAIN_MS));
  const rssPeak = await rss(s, 'stop');
  const results = await closeClients(workers);
  const latencies = results.flatMap((r) => r.latencies);
  const received = results.flatMap((r) => r.received);
  const flood = received.filter((_, i) => queries[i] === FLOOD_QUERY);
  const panel = received.filter((_, i) => queries[i] === PANEL_QUERY);
  const phase: Phase = {
    name,
    latency: summarize(latencies),
    floodReceivedMin: flood.length ? Math.min(...flood) : 0,
    files: written.relPaths.length,
    panelReceived: panel,
    panelUniform: panel.length > 0 && Math.min(...panel) === Math.max(...panel) && panel[0]! > 0,
    dropped: results.reduce((n, r) => n + r.dropped, 0),
    rssPeak,
  };
  log(
    `${name}: ${queries.length} client(s), ${phase.latency.n} deliveries, p50 ${phase.latency.p50} ms, p99 ${phase.latency.p99} ms, ` +
      `max ${phase.latency.max} ms; activity clients got ≥ ${phase.floodReceivedMin} of ${phase.files} files; ` +
      `dropped ${phase.dropped}; sidecar RSS peak ${(rssPeak / MIB).toFixed(0)} MiB`
  );
  return phase;
}

/** Rounds of one phase as one: latency figures are the medians over the rounds; counts are the worst round's. */
function combine(phases: Phase[]): Phase {
  const pick = (f: (l: LatencySummary) => number): number => median(phases.map((p) => f(p.latency)));
  return {
    name: phases[0]!.name,
    latency: {
      n: phases.reduce((n, p) => n + p.latency.n, 0),
      mean: pick((l) => l.mean),
      p50: pick((l) => l.p50),
      p99: pick((l) => l.p99),
      max: Math.max(...phases.map((p) => p.latency.max)),
    },
    // The worst round: the fewest of its own files an activity client got, against that round's file count.
    floodReceivedMin: Math.min(...phases.map((p) => p.floodReceivedMin - p.files)) + phases[0]!.files,
    files: phases[0]!.files,
    panelReceived: phases.flatMap((p) => p.panelReceived),
    panelUniform: phases.every((p) => p.panelUniform),
    dropped: phases.reduce((n, p) => n + p.dropped, 0),
    rssPeak: Math.max(...phases.map((p) => p.rssPeak)),
  };
}

/**
 * The real sidecar in a child process (its RSS is its own) watching a workspace on tmpfs; a worker
 * thread writes 1,000 activity files/s while the lineage index is rewritten 10×/s. First one SSE client
 * following `kind=activity.tasks` (the baseline), then 500 clients: 100 following the same flood, 400
 * subscribed like the lineage panel and the gallery (`kind=lineage.*,artifact.*`, a few events/s, the
 * flood filtered out on the server). Latency is event `ts` (stored) → frame read by the client.
 */
export async function run(opts?: BenchOptions): Promise<BenchRow[]> {
  if (!selected(opts, 'stream')) return [];
  const quick = opts?.quick ?? false;
  const seconds = quick ? 3 : 5;
  // The baseline and the fan-out alternate, and each figure is the median over the rounds: on a shared machine
  // one noisy stretch would otherwise decide the ratio.
  const rounds = quick ? 1 : 3;
  const dirs = ['warmup', ...Array.from({ length: rounds }, (_, r) => [`one-${r}`, `many-${r}`]).flat()].map(
    (d) => `activity/tasks/stream-${d}`
  );
  const s = await startSidecar(dirs);
  const ones: Phase[] = [];
  const manys: Phase[] = [];
  try {
    // Warm the sidecar (JIT, statement caches, heap) so the baseline is not its first second.
    await runPhase(s, 'warm-up', [FLOOD_QUERY], 2, dirs[0]!);
    const queries = Array.from({ length: CLIENTS }, (_, i) =>
      i % (CLIENTS / FLOOD_CLIENTS) === 0 ? FLOOD_QUERY : PANEL_QUERY
    );
    for (let r = 0; r < rounds; r++) {
      ones.push(
        await runPhase(s, `one client, round ${r + 1}`, [FLOOD_QUERY], seconds, `activity/tasks/stream-one-${r}`)
      );
      manys.push(
        await runPhase(s, `${CLIENTS} clients, round ${r + 1}`, queries, seconds, `activity/tasks/stream-many-${r}`)
      );
    }
  } finally {
    s.child.send({ stop: true });
    await new Promise((r) => s.child.once('exit', r));
  }
  const one = combine(ones);
  const many = combine(manys);
  const rssBound = one.rssPeak + CLIENTS * PER_CLIENT_CAP;
  const panelMin = many.panelReceived.length ? Math.min(...many.panelReceived) : 0;
  const panelMax = many.panelReceived.length ? Math.max(...many.panelReceived) : 0;
  return [
    {
      name: `stream fan-out p99 event-to-client latency, ${CLIENTS} SSE clients with kind filters (${FLOOD_CLIENTS}× ${FLOOD_QUERY}, ${CLIENTS - FLOOD_CLIENTS}× ${PANEL_QUERY}), ${RATE} files/s + ${LINEAGE_PER_S} lineage rewrites/s; baseline: one client, same load`,
      value: many.latency.p99,
      baseline: one.latency.p99,
      ratio: ratioOf(many.latency.p99, one.latency.p99),
      target: '≤ 3× one client',
      pass: many.latency.p99 <= 3 * one.latency.p99,
      unit: 'ms',
    },
    {
      name: `stream fan-out p50 event-to-client latency, ${CLIENTS} clients vs one`,
      value: many.latency.p50,
      baseline: one.latency.p50,
      ratio: ratioOf(many.latency.p50, one.latency.p50),
      target: '(context)',
      pass: null,
      unit: 'ms',
    },
    {
      name: `stream fan-out events delivered per second, ${CLIENTS} clients (one client: its own deliveries)`,
      value: many.latency.n / (rounds * (seconds + DRAIN_MS / 1000)),
      baseline: one.latency.n / (rounds * (seconds + DRAIN_MS / 1000)),
      ratio: ratioOf(many.latency.n, one.latency.n),
      target: '(context)',
      pass: null,
      unit: 'events/s',
    },
    {
      name: `stream fan-out: activity events missed by the worst ${FLOOD_QUERY} client (of ${many.files} files); panel clients got ${panelMin}–${panelMax} lineage events each (the same count within each round)`,
      value: Math.max(0, many.files - many.floodReceivedMin),
      baseline: null,
      ratio: null,
      target: '= 0, panel clients alike',
      pass: many.floodReceivedMin >= many.files && many.panelUniform,
      unit: 'events',
    },
    {
      name: `stream fan-out clients dropped while measuring (${CLIENTS} clients)`,
      value: many.dropped + one.dropped,
      baseline: null,
      ratio: null,
      target: '= 0',
      pass: many.dropped + one.dropped === 0,
      unit: 'clients',
    },
    {
      name: `stream fan-out sidecar RSS peak, ${CLIENTS} clients (baseline: one client); bound = one-client peak + ${CLIENTS} × ${PER_CLIENT_CAP / MIB} MiB (http.sse_max_buffered_bytes) = ${(rssBound / MIB).toFixed(0)} MiB`,
      value: many.rssPeak / MIB,
      baseline: one.rssPeak / MIB,
      ratio: ratioOf(many.rssPeak, one.rssPeak),
      target: `≤ ${(rssBound / MIB).toFixed(0)} MiB`,
      pass: many.rssPeak <= rssBound,
      unit: 'MiB',
    },
  ];
}
