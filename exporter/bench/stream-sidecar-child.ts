import fs from 'node:fs';
import path from 'node:path';
import { fastTempBase, startBenchSidecar } from './bench-sidecar';

/**
 * Child process of the stream fan-out bench: the real sidecar alone in its process, so its RSS is its
 * own (the bench's SSE clients and file writer live in the parent). Says `{ ready, url, workspace }`
 * over IPC; on `{ rss: 'start' }` samples its RSS every 100 ms until `{ rss: 'stop' }`, then answers
 * `{ rssPeak, rssLast }`; on `{ stop: true }` stops the sidecar and exits.
 */
type Message = { rss: 'start' | 'stop' } | { stop: true };

async function main(): Promise<void> {
  const relDirs = (process.argv[2] ?? '').split(',').filter(Boolean);
  const s = await startBenchSidecar(
    {},
    {
      workspaceBase: fastTempBase(),
      // Folders the bench writes into exist before the watcher starts: it measures events, not new folders.
      prepareWorkspace: (root) => {
        for (const d of relDirs) fs.mkdirSync(path.join(root, d), { recursive: true });
      },
    }
  );
  const readyBy = Date.now() + 15_000;
  while (!s.sidecar.ctx.status.ready().ok) {
    if (Date.now() > readyBy)
      throw new Error(`stream bench sidecar not ready: ${JSON.stringify(s.sidecar.ctx.status.ready())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  let sampler: NodeJS.Timeout | null = null;
  let peak = 0;
  process.on('message', (m: Message) => {
    if ('stop' in m) {
      if (sampler) clearInterval(sampler);
      void s.close().then(() => process.exit(0));
      return;
    }
    if (m.rss === 'start') {
      peak = process.memoryUsage().rss;
      sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 100);
    } else {
      if (sampler) clearInterval(sampler);
      sampler = null;
      const last = process.memoryUsage().rss;
      process.send?.({ rssPeak: Math.max(peak, last), rssLast: last });
    }
  });
  process.send?.({ ready: true, url: s.sidecar.url, workspace: s.workspace });
}

main().catch((err: unknown) => {
  console.error('stream-sidecar-child failed:', err);
  process.exit(1);
});
