import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PacedWriteJob, PacedWriteResult } from './paced-writer-worker';

/** Runs one paced writer (paced-writer-worker.ts) on a thread of its own; resolves with what it wrote and when. */
export function writeFiles(job: PacedWriteJob): Promise<PacedWriteResult> {
  const worker = new Worker(path.join(__dirname, 'paced-writer-worker.js'), { workerData: job });
  return new Promise((resolve, reject) => {
    let done = false;
    worker.once('message', (r: PacedWriteResult) => {
      done = true;
      void worker.terminate();
      resolve(r);
    });
    worker.once('error', (err) => {
      done = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!done) reject(new Error(`paced writer exited (${code}) without a result`));
    });
  });
}

/** Polls `fn` every few milliseconds until it holds; throws, naming `what`, after `timeoutMs`. */
export async function waitUntil(
  fn: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  pollMs = 5
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`${what} not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
