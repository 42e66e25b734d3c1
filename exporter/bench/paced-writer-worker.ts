import fs from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';
import { nowMs } from './stats';

/**
 * Writes `count` activity files into `root/relDir` at `rate` files per second, in a worker thread so the
 * writer's pacing does not depend on the sidecar's event loop (and the sidecar does not share its loop with
 * the writer). Each file's completion time (after close) is reported, on the clock `nowMs()` shares with
 * the main thread.
 */
const jobSchema = z.object({
  root: z.string(),
  relDir: z.string(),
  rate: z.number().positive(),
  count: z.number().int().positive(),
});
export type PacedWriteJob = z.infer<typeof jobSchema>;

export interface PacedWriteResult {
  /** `relPaths[i]` was completely written at `writtenAt[i]` (ms, nowMs clock). */
  relPaths: string[];
  writtenAt: number[];
}

function relPathOf(relDir: string, i: number): string {
  return `${relDir}/task-${String(i).padStart(6, '0')}.json`;
}

const parsed = jobSchema.safeParse(workerData);
if (!parsed.success) throw new Error(`paced-writer-worker: invalid job: ${parsed.error.message}`);
const job = parsed.data;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const relPaths: string[] = [];
const writtenAt: number[] = [];
const intervalMs = 1000 / job.rate;
const t0 = nowMs();
for (let i = 0; i < job.count; i++) {
  const due = t0 + i * intervalMs;
  const wait = due - nowMs();
  // Atomics.wait sleeps this thread only; below a millisecond the write is simply issued on time.
  if (wait >= 1) Atomics.wait(sleeper, 0, 0, Math.floor(wait));
  const rel = relPathOf(job.relDir, i);
  const body = JSON.stringify({ id: `bench-${i}`, type: 'process', status: 'completed', result: { n: i } });
  fs.writeFileSync(path.join(job.root, rel), body);
  writtenAt.push(nowMs());
  relPaths.push(rel);
}
parentPort?.postMessage({ relPaths, writtenAt } satisfies PacedWriteResult);
