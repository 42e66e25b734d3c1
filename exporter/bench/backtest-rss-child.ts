import { loadConfig } from '../src/config/load-config';
import { createLogger } from '../src/log/logger';
import { buildContext } from '../src/main';
import { BacktestService } from '../src/backtest';
import { benchRules } from './backtest-fixtures';

/**
 * Child process of the backtest bench (a fresh heap, `--expose-gc`): opens the bench's store, backtests its
 * rules over [from, to] and reports over IPC the heap the run holds — sampled after a forced collection every
 * 200 ms while it runs (the run yields between slices, so the samples fall inside it) — and the process's peak
 * RSS. What a run holds must not grow with its range; how far V8 lets garbage pile up before collecting (what
 * RSS shows) is V8's choice, not the run's.
 */
async function main(): Promise<void> {
  const [dataDir, fromArg, toArg, rulesArg] = process.argv.slice(2);
  const from = Number(fromArg);
  const to = Number(toArg);
  const rules = benchRules(Number(rulesArg));
  const config = loadConfig({
    env: {},
    overrides: {
      data_dir: dataDir!,
      node: 'bench',
      log_level: 'silent',
      guardian: { tick_ms: 1000 },
      backtest: { max_range: '8d', max_ticks: 1_000_000, sync_wait_ms: 0 },
    },
  });
  const ctx = buildContext(config, { logger: createLogger('silent') });
  const document = { guardian: { rules, playbooks: {} }, scheduler: { policies: [] } };
  const backtests = new BacktestService(ctx, {
    policy: {
      current: () => ({
        running: {
          version: 'bench',
          source: { kind: 'config', path: null },
          loaded_at: new Date().toISOString(),
          document,
          text: null,
          warnings: [],
        },
      }),
      validate: () => {
        throw new Error('the bench backtests the running rules only');
      },
    },
    guardian: { policy: () => ({ rules, playbooks: {} }) },
  });
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('backtest-rss-child needs --expose-gc');
  gc();
  const before = process.memoryUsage.rss();
  const heapBefore = process.memoryUsage().heapUsed;
  let heldPeak = heapBefore;
  const sampler = setInterval(() => {
    gc();
    heldPeak = Math.max(heldPeak, process.memoryUsage().heapUsed);
  }, 200);
  const t0 = performance.now();
  const { run } = await backtests.runToEnd({ rules: { kind: 'running' }, from, to, source: 'store' }, 'bench');
  const ms = performance.now() - t0;
  clearInterval(sampler);
  const peak = process.resourceUsage().maxRSS * 1024;
  ctx.db.close();
  process.send?.({ before, peak, heapBefore, heldPeak, ms, status: run.status, ticks: run.ticks_done });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('backtest-rss-child failed:', err);
    process.exit(1);
  }
);
