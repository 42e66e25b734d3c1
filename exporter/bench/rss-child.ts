import { activityFiles, defaultActivityRules, toEventInput } from './activity-fixtures';
import { startBenchSidecar } from './bench-sidecar';

/**
 * Child process of the RSS bench (fresh heap): starts the real sidecar, measures RSS, ingests N events
 * through the normal path (classification + EventLog.appendMany in watcher-sized batches), collects
 * garbage when `--expose-gc` allows it, measures again and reports `{ before, after, events }` over IPC.
 */
const BATCH = 100;

function settle(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  // Let pino's async destination, timers and finalizers run before reading RSS.
  return new Promise((r) => setTimeout(r, 200));
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? '100000');
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`rss-child: event count must be a positive integer, got ${process.argv[2]}`);
  const s = await startBenchSidecar();
  try {
    const rules = defaultActivityRules();
    await settle();
    const before = process.memoryUsage().rss;
    for (let done = 0; done < n;) {
      // Fresh file contents per chunk, so nothing the bench holds grows with n.
      const chunk = activityFiles(Math.min(1000, n - done));
      for (let i = 0; i < chunk.length; i += BATCH) {
        s.sidecar.ctx.events.appendMany(chunk.slice(i, i + BATCH).map((f) => toEventInput(f, rules)));
      }
      done += chunk.length;
      // Yield like a live sidecar would between watcher batches (timers, SSE hub, heartbeats).
      await new Promise((r) => setImmediate(r));
    }
    await settle();
    const after = process.memoryUsage().rss;
    const stored = s.sidecar.ctx.events.repo.count();
    if (stored < n) throw new Error(`rss-child: only ${stored} of ${n} events stored`);
    process.send?.({ before, after, events: n });
  } finally {
    await s.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('rss-child failed:', err);
    process.exit(1);
  }
);
