/**
 * Render benchmark in Debian Chromium, using the built dist/ through the same harness as the browser tests.
 * Data comes from in-page fixtures (the network is not what is measured). Prints a table:
 *   - mount → first complete render of the lineage panel with 2,000 generations and of the feed with 10,000 rows,
 *     each against the same panel rendering empty data in the same run (target: within 10×);
 *   - feed scroll frame times, p50/p95 (target: p95 within one 60 Hz frame, 16.7 ms).
 * Run: npm run bench -w grafana-plugins (after npm run build -w grafana-plugins).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_LAUNCH } from './chromium.ts';
import { startHarnessServer } from './server.ts';

const ROOT = process.cwd().endsWith('grafana-plugins') ? process.cwd() : path.join(process.cwd(), 'grafana-plugins');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const FRAME_BUDGET_MS = 1000 / 60;

const FIXED = Date.parse('2026-11-21T12:00:00Z');

function generations(n: number): unknown[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `g${i}`,
    parent: i === 0 ? null : i % 9 === 0 ? `g${i - 3}` : `g${i - 1}`,
    created_at: new Date(FIXED + i * 60_000).toISOString(),
    status: i === n - 2 ? 'active' : i === n - 1 ? 'canary' : i % 17 === 0 ? 'failed' : 'retired',
    kpis: { sharpe: 1 + (i % 10) / 10, drawdown: (i % 7) / 100 },
    artifacts: [],
    notes: null,
  }));
}

function events(n: number): unknown[] {
  const sev = ['info', 'warning', 'critical', 'info'];
  return Array.from({ length: n }, (_, i) => ({
    id: `01JBENCH${String(n - i).padStart(8, '0')}`,
    ts: new Date(FIXED - i * 1000).toISOString(),
    node: 'bench',
    source: i % 5 === 0 ? 'scheduler' : 'watcher',
    kind: i % 5 === 0 ? 'decision.made' : 'file.changed',
    severity: sev[i % 4],
    subject: `activity/task-${i}.json`,
    data: i % 5 === 0 ? { decision_id: `d${i}` } : {},
    trace_id: null,
    actor: null,
  }));
}

const lineageFixture = (n: number): Record<string, unknown> => ({
  'GET api/v1/lineage': {
    model: 'bench',
    generations: generations(n),
    active: n ? `g${n - 2}` : null,
    canary: null,
    updated_at: null,
  },
});
const feedFixture = (n: number): Record<string, unknown> => ({
  'GET api/v1/feeds/all': { items: events(n), next_cursor: null },
});

/** Renders a panel and resolves with ms from mount to the frame after `ready` holds. */
async function timeRender(
  page: Page,
  panel: string,
  fixtures: Record<string, unknown>,
  options: Record<string, unknown>,
  ready: string
): Promise<number> {
  return page.evaluate(
    async ([p, f, o, r]) => {
      const host = (
        window as unknown as {
          lookoutHost: { useFixtures(x: unknown): void; renderPanel(x: unknown): Promise<void>; unmount(): void };
        }
      ).lookoutHost;
      host.unmount();
      host.useFixtures(f);
      const isReady = new Function(`return (${r})`) as () => boolean;
      await new Promise((res) => requestAnimationFrame(() => res(undefined)));
      const t0 = performance.now();
      await host.renderPanel({ panel: p, options: o, width: 1200, height: 700 });
      await new Promise<void>((res, rej) => {
        const tick = (): void => {
          if (isReady()) {
            res();
          } else if (performance.now() - t0 > 30_000) {
            rej(new Error(`not ready after 30 s: ${r}`));
          } else {
            requestAnimationFrame(tick);
          }
        };
        tick();
      });
      // The frame that shows it: wait for the next paint.
      await new Promise((res) => requestAnimationFrame(() => setTimeout(res, 0)));
      return performance.now() - t0;
    },
    [panel, fixtures, options, ready] as const
  );
}

async function scrollFrames(page: Page, frames: number): Promise<number[]> {
  return page.evaluate(async (n) => {
    const el = document.querySelector('[data-testid="data-testid lookout-feed-list"]') as HTMLElement;
    const deltas: number[] = [];
    let last = performance.now();
    for (let i = 0; i < n; i++) {
      el.scrollTop += 90;
      await new Promise((res) => requestAnimationFrame(() => res(undefined)));
      const now = performance.now();
      deltas.push(now - last);
      last = now;
    }
    return deltas;
  }, frames);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist/module.js'))) {
    throw new Error('dist/ is missing: run npm run build -w grafana-plugins first');
  }
  const webpackCli = createRequire(path.join(ROOT, 'package.json')).resolve('webpack-cli/bin/cli.js');
  execFileSync(process.execPath, [webpackCli, '-c', 'tests/browser/host/webpack.config.ts', '--env', 'grafana=12.4'], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  const server = await startHarnessServer({ root: ROOT });
  const browser = await chromium.launch(CHROMIUM_LAUNCH);
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('crash', () => process.stderr.write('page crashed\n'));
    page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
    await page.goto(`${server.url}/?role=Viewer&theme=dark`);
    await page.waitForFunction(
      () => (window as unknown as { __lookoutHostReady?: boolean }).__lookoutHostReady === true
    );
    const nodes = `document.querySelectorAll('[data-status]').length`;
    const rows = `document.querySelectorAll('[data-testid^="data-testid lookout-feed-row-"]').length`;
    const scenarios = [
      {
        name: 'lineage, empty',
        panel: 'lineage',
        fx: lineageFixture(0),
        o: {},
        ready: `document.body.innerText.includes('No generations yet')`,
      },
      {
        name: 'lineage, 2,000 generations',
        panel: 'lineage',
        fx: lineageFixture(2000),
        o: {},
        ready: `${nodes} >= 2000`,
      },
      {
        name: 'feed, empty',
        panel: 'feed',
        fx: feedFixture(0),
        o: { feeds: ['all'], minSeverity: 'info' },
        ready: `document.body.innerText.includes('No events yet')`,
      },
      {
        name: 'feed, 10,000 rows',
        panel: 'feed',
        fx: feedFixture(10_000),
        o: { feeds: ['all'], minSeverity: 'info', maxRows: 10_000 },
        ready: `${rows} > 10`,
      },
    ];
    const results: Record<string, number> = {};
    for (const s of scenarios) {
      await timeRender(page, s.panel, s.fx, s.o, s.ready); // warm-up: module load and JIT are not what we measure
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        times.push(await timeRender(page, s.panel, s.fx, s.o, s.ready));
      }
      results[s.name] = median(times);
    }
    // Scroll the 10,000-row feed, which is mounted last.
    await scrollFrames(page, 30);
    const frames = await scrollFrames(page, 300);

    const row = (a: string, b: string, c: string, d: string): string =>
      `| ${a.padEnd(30)} | ${b.padStart(12)} | ${c.padStart(10)} | ${d.padEnd(10)} |`;
    const ratio = (big: string, empty: string): number => results[big]! / results[empty]!;
    const lr = ratio('lineage, 2,000 generations', 'lineage, empty');
    const fr = ratio('feed, 10,000 rows', 'feed, empty');
    const p95 = pct(frames, 95);
    const lines = [
      `Lookout panels benchmark — Chromium ${browser.version()}, median of ${RUNS} runs after a warm-up`,
      // Frame times on a shared machine are dominated by other load; say how loaded it was.
      `machine: ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(2)}`,
      '',
      row('scenario', 'mount→render', 'vs empty', 'target'),
      row('-'.repeat(30), '-'.repeat(12), '-'.repeat(10), '-'.repeat(10)),
      row('lineage, empty', `${results['lineage, empty']!.toFixed(1)} ms`, '1.0×', ''),
      row(
        'lineage, 2,000 generations',
        `${results['lineage, 2,000 generations']!.toFixed(1)} ms`,
        `${lr.toFixed(1)}×`,
        `≤ 10× ${lr <= 10 ? 'ok' : 'MISS'}`
      ),
      row('feed, empty', `${results['feed, empty']!.toFixed(1)} ms`, '1.0×', ''),
      row(
        'feed, 10,000 rows',
        `${results['feed, 10,000 rows']!.toFixed(1)} ms`,
        `${fr.toFixed(1)}×`,
        `≤ 10× ${fr <= 10 ? 'ok' : 'MISS'}`
      ),
      '',
      row('feed scroll (300 frames)', 'p50 / p95', '', 'target'),
      row('-'.repeat(30), '-'.repeat(12), '-'.repeat(10), '-'.repeat(10)),
      row(
        'frame time',
        `${median(frames).toFixed(1)} / ${p95.toFixed(1)}`,
        'ms',
        `p95 ≤ ${FRAME_BUDGET_MS.toFixed(1)} ${p95 <= FRAME_BUDGET_MS + 0.5 ? 'ok' : 'MISS'}`
      ),
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
