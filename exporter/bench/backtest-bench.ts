import { fork } from 'node:child_process';
import path from 'node:path';
import { z } from 'zod';
import { GuardrailsRepository } from '../src/guardian';
import type { TelemetrySample } from '../src/telemetry';
import { type BenchOptions, type BenchRow, ratioOf, selected } from './bench-row';
import { startBenchSidecar } from './bench-sidecar';
import { nowMs } from './stats';
import { DAY_S, SIGNALS, benchRules, valueAt } from './backtest-fixtures';

/** Issue 16's benchmark: a backtest from the store against the live guardian over the same samples. */
export const benches = ['backtest'] as const;

const log = (msg: string): void => void process.stderr.write(`[backtest-bench] ${msg}\n`);

const childReport = z.object({
  before: z.number(),
  peak: z.number(),
  heapBefore: z.number(),
  heldPeak: z.number(),
  ms: z.number(),
  status: z.string(),
  ticks: z.number(),
});

/** A backtest of the bench's store over [from, to] in a fresh process: RSS before it and the process's peak. */
async function backtestInChild(
  dataDir: string,
  from: number,
  to: number,
  rules: number
): Promise<z.infer<typeof childReport>> {
  const child = fork(
    path.join(__dirname, 'backtest-rss-child.js'),
    [dataDir, String(from), String(to), String(rules)],
    {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    }
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('backtest bench: the RSS child did not report within 300 s'));
    }, 300_000);
    child.once('message', (m: unknown) => {
      clearTimeout(timer);
      const r = childReport.safeParse(m);
      if (r.success && r.data.status === 'succeeded') resolve(r.data);
      else reject(new Error(`backtest bench: the RSS child reported ${JSON.stringify(m)}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`backtest bench: the RSS child exited (${code}) before reporting`));
    });
  });
}

/** Peak RSS seen while `fn` runs (sampled every 20 ms), and RSS before it. */
async function watchRss<T>(fn: () => Promise<T>): Promise<{ value: T; before: number; peak: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, before, peak };
  } finally {
    clearInterval(timer);
  }
}

const MB = 1024 * 1024;

export async function run(opts?: BenchOptions): Promise<BenchRow[]> {
  if (!selected(opts, 'backtest')) return [];
  const days = opts?.quick ? 1 : 7;
  const ruleCount = opts?.quick ? 20 : 100;
  const seconds = days * DAY_S;
  const bench = await startBenchSidecar({
    guardian: { enabled: false, tick_ms: 1000 },
    scheduler: { enabled: false },
    backtest: { max_range: '8d', max_ticks: 1_000_000, sync_wait_ms: 0 },
    telemetry: { history_max_rows: 100_000_000 },
  });
  try {
    const { ctx, control } = bench.sidecar;
    const t0 = Math.floor((Date.now() - seconds * 1000 - 60_000) / 1000) * 1000;

    // 1. The history: one transaction, prepared statements, as the store keeps it.
    const gen0 = nowMs();
    const sids: number[] = [];
    ctx.db.transaction(() => {
      const series = ctx.db.prepare(
        "INSERT INTO telemetry_history_series (name, series, labels, type, last_t) VALUES (?, '', '{}', 'gauge', ?)"
      );
      for (let s = 0; s < SIGNALS; s++) sids.push(Number(series.run(`bench_signal_${s}`, t0).lastInsertRowid));
      const row = ctx.db.prepare('INSERT INTO telemetry_history (t, sid, value) VALUES (?, ?, ?)');
      for (let k = 0; k < seconds; k++) {
        const t = t0 + k * 1000;
        row.run(t, 0, SIGNALS);
        for (let s = 0; s < SIGNALS; s++) row.run(t, sids[s]!, valueAt(s, k));
      }
    })();
    const genMs = nowMs() - gen0;
    const rows = seconds * (SIGNALS + 1);
    log(`generated ${rows.toLocaleString('en-US')} history rows in ${(genMs / 1000).toFixed(1)} s`);

    // 2. The live guardian over the same samples, tick by tick, with a flush at each day's end.
    const rs = benchRules(ruleCount);
    control.guardian.setPolicy({ rules: rs, playbooks: {} });
    const samples: TelemetrySample[] = Array.from({ length: SIGNALS }, (_, s) => ({
      name: `bench_signal_${s}`,
      labels: {},
      key: '',
      value: 0,
      type: 'gauge',
      help: null,
    }));
    const store = ctx.telemetry.store;
    const path = (): string => 'bench';
    const guardrails = new GuardrailsRepository(ctx.db);
    const live = await watchRss(async () => {
      const live0 = nowMs();
      for (let k = 0; k < seconds; k++) {
        const t = t0 + k * 1000;
        if (k > 0 && k % DAY_S === 0) {
          guardrails.flush();
          ctx.events.append({
            source: 'actions',
            kind: 'action.applied',
            ts: new Date(t).toISOString(),
            subject: 'bench-flush',
            data: { action: 'flush_guardrails', status: 'applied' },
          });
        }
        for (let s = 0; s < SIGNALS; s++) samples[s]!.value = valueAt(s, k);
        store.apply(samples, t, path);
        control.guardian.tick(t);
        // The live guardian runs on a timer: the event loop is free between its ticks (and RSS sampled).
        if ((k & 4095) === 4095) await new Promise<void>((r) => setImmediate(r));
      }
      return nowMs() - live0;
    });
    const liveMs = live.value;
    const liveFires = ctx.events.query({ kinds: ['rule.fired'], limit: 100_000 }).length;
    log(
      `live guardian: ${seconds.toLocaleString('en-US')} ticks × ${ruleCount} rules in ${(liveMs / 1000).toFixed(1)} s, ${liveFires} fires`
    );

    // 3. The backtest of the same rules over the same range, from the store, streamed.
    const { value, before, peak } = await watchRss(async () => {
      const bt0 = nowMs();
      const r = await control.backtests.runToEnd(
        {
          rules: { kind: 'running' },
          from: t0,
          to: t0 + (seconds - 1) * 1000,
          source: 'store',
        },
        'bench'
      );
      return { ...r, ms: nowMs() - bt0 };
    });
    if (value.run.status !== 'succeeded')
      throw new Error(`backtest bench: the run ended ${value.run.status}: ${value.run.error}`);
    const summary = value.run.summary as { fires: number; comparison: Record<string, number> };
    if (summary.fires !== liveFires || summary.comparison['same'] !== liveFires) {
      throw new Error(
        `backtest bench: the backtest made ${summary.fires} fires (${JSON.stringify(summary.comparison)}), live made ${liveFires}`
      );
    }
    log(
      `backtest: ${(value.ms / 1000).toFixed(1)} s, ${summary.fires} fires all equal to live; RSS ${(before / MB).toFixed(0)} → peak ${(peak / MB).toFixed(0)} MB`
    );
    const ratio = ratioOf(value.ms, liveMs);
    // Memory: the same backtest over one day and over the whole range, each in a fresh process.
    const last = t0 + (seconds - 1) * 1000;
    const oneDay = await backtestInChild(bench.dataDir, last - (DAY_S - 1) * 1000, last, ruleCount);
    const whole = await backtestInChild(bench.dataDir, t0, last, ruleCount);
    const held = (r: z.infer<typeof childReport>): number => (r.heldPeak - r.heapBefore) / MB;
    log(
      `in a fresh process: heap held at most ${held(oneDay).toFixed(1)} MB (1 d) and ${held(whole).toFixed(1)} MB (${days} d); RSS growth ${((oneDay.peak - oneDay.before) / MB).toFixed(0)} MB and ${((whole.peak - whole.before) / MB).toFixed(0)} MB`
    );
    const dataMb = (rows * 24) / MB;
    return [
      {
        name: `backtest: history of ${days} d × ${SIGNALS} signals at 1 s (${rows.toLocaleString('en-US')} rows) written in one transaction`,
        value: rows / (genMs / 1000),
        baseline: null,
        ratio: null,
        target: 'context',
        pass: null,
        unit: 'rows/s',
      },
      {
        name: `backtest: ${ruleCount} rules over ${days} d of 1 s telemetry from the store vs the live guardian over the same samples`,
        value: value.ms / 1000,
        baseline: liveMs / 1000,
        ratio,
        target: '≤ 1.5× live',
        pass: ratio !== null && ratio <= 1.5,
        unit: 's',
      },
      {
        name: `backtest: heap a ${days} d backtest holds (${rows.toLocaleString('en-US')} rows; about ${dataMb.toFixed(0)} MB loaded whole) vs a 1 d one, sampled after forced GCs in a fresh process`,
        value: held(whole),
        baseline: held(oneDay),
        ratio: ratioOf(held(whole), held(oneDay)),
        target: '≤ 1 d + 16 MB (streamed: does not grow with the range)',
        pass: held(whole) <= held(oneDay) + 16,
        unit: 'MB',
      },
      {
        name: `backtest: peak RSS growth of the ${days} d backtest in a fresh process (1 d: ${((oneDay.peak - oneDay.before) / MB).toFixed(0)} MB; V8 lets garbage pile up before collecting)`,
        value: (whole.peak - whole.before) / MB,
        baseline: null,
        ratio: null,
        target: 'context',
        pass: null,
        unit: 'MB',
      },
    ];
  } finally {
    await bench.close();
  }
}
