import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';
import { nowMs } from './stats';

/**
 * The one HTTP client of the benches, run in a worker thread so that the client never competes with
 * the server under test for the main thread's event loop. Both sides of a comparison are driven by
 * this same code with the same agent settings.
 */
const jobSchema = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('sequential'),
    url: z.string(),
    headers: z.record(z.string(), z.string()),
    warmup: z.number().int().min(0),
    iterations: z.number().int().positive(),
  }),
  z.object({
    mode: z.literal('load'),
    url: z.string(),
    headers: z.record(z.string(), z.string()),
    concurrency: z.number().int().positive(),
    warmupMs: z.number().min(0),
    durationMs: z.number().positive(),
  }),
]);
export type HttpJob = z.infer<typeof jobSchema>;

export interface SequentialResult {
  mode: 'sequential';
  latenciesMs: number[];
  bodyBytes: number;
  badStatus: number;
}

export interface LoadResult {
  mode: 'load';
  completed: number;
  badStatus: number;
  errors: number;
  elapsedMs: number;
}

function get(agent: http.Agent, url: URL, headers: Record<string, string>): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function sequential(job: Extract<HttpJob, { mode: 'sequential' }>): Promise<SequentialResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(job.url);
  try {
    for (let i = 0; i < job.warmup; i++) await get(agent, url, job.headers);
    const latenciesMs: number[] = [];
    let bodyBytes = 0;
    let badStatus = 0;
    for (let i = 0; i < job.iterations; i++) {
      const t0 = nowMs();
      const r = await get(agent, url, job.headers);
      latenciesMs.push(nowMs() - t0);
      bodyBytes = r.bytes;
      if (r.status !== 200) badStatus++;
    }
    return { mode: 'sequential', latenciesMs, bodyBytes, badStatus };
  } finally {
    agent.destroy();
  }
}

async function load(job: Extract<HttpJob, { mode: 'load' }>): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
  const url = new URL(job.url);
  const start = nowMs();
  const measureFrom = start + job.warmupMs;
  const end = measureFrom + job.durationMs;
  let completed = 0;
  let badStatus = 0;
  let errors = 0;
  const worker = async (): Promise<void> => {
    while (nowMs() < end) {
      try {
        const r = await get(agent, url, job.headers);
        if (nowMs() < measureFrom) continue;
        if (r.status === 200) completed++;
        else badStatus++;
      } catch {
        errors++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: job.concurrency }, () => worker()));
    return { mode: 'load', completed, badStatus, errors, elapsedMs: nowMs() - measureFrom };
  } finally {
    agent.destroy();
  }
}

const parsed = jobSchema.safeParse(workerData);
if (!parsed.success) throw new Error(`http-load-worker: invalid job: ${parsed.error.message}`);
const job = parsed.data;
void (job.mode === 'sequential' ? sequential(job) : load(job)).then((r) => parentPort?.postMessage(r));
