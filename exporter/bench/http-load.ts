import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { HttpJob, LoadResult, SequentialResult } from './http-load-worker';

export class BenchWorkerError extends Error {
  override name = 'BenchWorkerError';
}

/** Runs one job in a fresh worker thread (the compiled `http-load-worker.js` beside this file). */
function runJob<R>(job: HttpJob, timeoutMs: number): Promise<R> {
  const worker = new Worker(path.join(__dirname, 'http-load-worker.js'), { workerData: job });
  return new Promise<R>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settle(() => reject(new BenchWorkerError(`HTTP load worker did not finish within ${timeoutMs} ms`)));
    }, timeoutMs);
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      fn();
    };
    worker.once('message', (r: R) => settle(() => resolve(r)));
    worker.once('error', (err) =>
      settle(() => reject(new BenchWorkerError('HTTP load worker crashed', { cause: err })))
    );
    worker.once('exit', (code) =>
      settle(() => reject(new BenchWorkerError(`HTTP load worker exited (${code}) without a result`)))
    );
  });
}

/** Sequential keep-alive GETs, one at a time: per-request latencies in ms. */
export function scrapeSequentially(
  url: string,
  headers: Record<string, string>,
  iterations: number,
  warmup: number
): Promise<SequentialResult> {
  return runJob<SequentialResult>({ mode: 'sequential', url, headers, iterations, warmup }, 120_000);
}

/** `concurrency` keep-alive loops for `durationMs` after `warmupMs`: completed requests and the time they took. */
export function loadTest(
  url: string,
  headers: Record<string, string>,
  concurrency: number,
  durationMs: number,
  warmupMs: number
): Promise<LoadResult> {
  return runJob<LoadResult>(
    { mode: 'load', url, headers, concurrency, durationMs, warmupMs },
    durationMs + warmupMs + 30_000
  );
}
