import fs from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';
import type { ConfigInput } from '../src/config/config-schema';
import { type BenchSidecar, fastTempBase, startBenchSidecar } from './bench-sidecar';
import { type BenchCommandBus, type BenchSimulator, loadExamples } from './examples-loader';
import { nowMs } from './stats';

/**
 * One fleet node for the fleet bench, on a thread of its own: the real sidecar (and, with `workload`, the
 * example workload answering its commands over NATS). A fleet on one host cannot give each node a machine,
 * but it can give each node its own event loop, as separate hosts would; the nodes then share only the cores.
 * Every action that ends and every activity event stored here is reported with its time (the `nowMs` clock
 * the threads share).
 */
const jobSchema = z.object({ name: z.string(), natsUrl: z.string(), workload: z.boolean(), config: z.unknown() });
export type FleetNodeJob = z.infer<typeof jobSchema>;

export type FleetNodeMessage =
  | { type: 'ready'; url: string; workspace: string }
  | { type: 'action'; id: string; status: string; at: number }
  | { type: 'own'; keys: [string, number][] }
  | { type: 'checkpointed' }
  | { type: 'stopped' };

const job = jobSchema.parse(workerData);
const post = (m: FleetNodeMessage): void => parentPort!.postMessage(m);

async function main(): Promise<void> {
  const examples = job.workload ? await loadExamples() : null;
  const made: { sim?: BenchSimulator } = {};
  const b: BenchSidecar = await startBenchSidecar(job.config as ConfigInput, {
    workspaceBase: fastTempBase(),
    prepareWorkspace: (root) => {
      fs.mkdirSync(path.join(root, 'activity', 'tasks'), { recursive: true });
      if (!examples) return;
      made.sim = examples.createSimulator({ workspace: root, seed: 3, tickMs: 600_000, autopilot: false });
      made.sim.getState();
    },
  });
  let bus: BenchCommandBus | null = null;
  if (made.sim && examples) {
    bus = await examples.NatsCommandBus.connect({ url: job.natsUrl, name: `bench-workload-${job.name}` });
    made.sim.attachBus(bus, job.name);
  }
  const own: [string, number][] = [];
  b.sidecar.ctx.events.onAppend((batch) => {
    const at = nowMs();
    for (const e of batch) {
      if (e.kind.startsWith('activity.')) own.push([`${e.node}|${String(e.data['file_path'])}`, at]);
      else if (/^action\.(verified|failed|timed_out)$/.test(e.kind)) {
        post({ type: 'action', id: e.subject, status: e.kind.slice('action.'.length), at });
      }
    }
  });
  parentPort!.on('message', (m: { type: string }) => {
    if (m.type === 'own') post({ type: 'own', keys: own.splice(0) });
    else if (m.type === 'checkpoint') {
      // Empties the write-ahead log into the database now (see fleetKillBench: nodes out of step).
      b.sidecar.ctx.db.pragma('wal_checkpoint(TRUNCATE)');
      post({ type: 'checkpointed' });
    } else if (m.type === 'stop') {
      void (async () => {
        await b.close();
        made.sim?.stop();
        await bus?.drain();
        post({ type: 'stopped' });
      })();
    }
  });
  post({ type: 'ready', url: b.sidecar.url, workspace: b.workspace });
}

main().catch((err: unknown) => {
  throw err;
});
