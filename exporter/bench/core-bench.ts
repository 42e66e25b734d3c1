import { type ChildProcess, fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { openDatabase } from '../src/store/database';
import type { FileContent } from '../src/watch/classifiers/classifier';
import { activityFiles, defaultActivityRules, toEventInput } from './activity-fixtures';
import { type BenchOptions, type BenchRow, ratioOf, selected } from './bench-row';
import { benchTempDir, startBenchSidecar } from './bench-sidecar';
import { loadTest, scrapeSequentially } from './http-load';
import { median, nowMs, summarize } from './stats';
import { freePort } from '../test/helpers/free-port';

/** Issue 2's core benchmarks (ingest, /metrics, /api/v1/status, RSS) and issue 13's /metrics fed by a telemetry file. */
export const benches = ['ingest', 'metrics', 'metrics-telemetry', 'status', 'rss'] as const;

const log = (msg: string): void => void process.stderr.write(`[core-bench] ${msg}\n`);

// ---- 1. ingest ---------------------------------------------------------------------------------

type RawRow = [string, string, string, string, string, number, string, string, string, string | null];

interface IngestRound {
  classifyPerSec: number;
  appendPerSec: number;
  rawPerSec: number;
}

async function ingestRound(files: readonly FileContent[], batch: number): Promise<IngestRound> {
  const rules = defaultActivityRules();
  // (a) the full path: classification + validation + store + metrics + listeners, on the running sidecar.
  const a = await startBenchSidecar();
  let rows: RawRow[];
  let classifyPerSec: number;
  try {
    const { events } = a.sidecar.ctx;
    const before = events.repo.count();
    const t0 = nowMs();
    for (let i = 0; i < files.length; i += batch) {
      events.appendMany(files.slice(i, i + batch).map((f) => toEventInput(f, rules)));
    }
    const ms = nowMs() - t0;
    classifyPerSec = files.length / (ms / 1000);
    // Queryable: the API's own query path sees every one of them.
    const stored = events.repo.count() - before;
    if (stored !== files.length) throw new Error(`ingest bench: ${stored} of ${files.length} events stored`);
    const newest = events.query({ sources: ['watcher'], limit: 1 })[0];
    if (newest?.subject !== files[files.length - 1]!.relPath)
      throw new Error('ingest bench: newest event not queryable');
    // The very rows the sidecar stored become the raw baseline's input.
    rows = a.sidecar.ctx.db
      .prepare(
        "SELECT id, ts, node, source, kind, severity, subject, data, trace_id, actor FROM events WHERE source = 'watcher' ORDER BY seq"
      )
      .raw()
      .all() as RawRow[];
  } finally {
    await a.close();
  }

  // (b) appendMany alone: inputs already classified, so only validation + store + metrics + listeners.
  const b = await startBenchSidecar();
  let appendPerSec: number;
  try {
    const inputs = files.map((f) => toEventInput(f, rules));
    const t0 = nowMs();
    for (let i = 0; i < inputs.length; i += batch) b.sidecar.ctx.events.appendMany(inputs.slice(i, i + batch));
    appendPerSec = inputs.length / ((nowMs() - t0) / 1000);
  } finally {
    await b.close();
  }

  // (c) baseline: raw better-sqlite3, same schema and pragmas (openDatabase), same rows, same batches.
  const dir = benchTempDir('raw');
  let rawPerSec: number;
  try {
    const db = openDatabase(path.join(dir, 'raw.sqlite'));
    try {
      const insert = db.prepare(
        'INSERT INTO events (id, ts, node, source, kind, severity, subject, data, trace_id, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
      );
      const tx = db.transaction((chunk: RawRow[]) => {
        for (const r of chunk) insert.run(...r);
      });
      const t0 = nowMs();
      for (let i = 0; i < rows.length; i += batch) tx(rows.slice(i, i + batch));
      rawPerSec = rows.length / ((nowMs() - t0) / 1000);
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { classifyPerSec, appendPerSec, rawPerSec };
}

async function ingestBench(quick: boolean): Promise<BenchRow[]> {
  const n = quick ? 10_000 : 50_000;
  const rounds = quick ? 1 : 3;
  // The watcher commits whatever its bounded read queue (16 at a time) produced since the last tick.
  const batch = 100;
  const files = activityFiles(n);
  const results: IngestRound[] = [];
  for (let r = 0; r < rounds; r++) {
    results.push(await ingestRound(files, batch));
    const last = results[results.length - 1]!;
    log(
      `ingest round ${r + 1}/${rounds}: classify+append ${last.classifyPerSec.toFixed(0)}/s, append ${last.appendPerSec.toFixed(0)}/s, raw ${last.rawPerSec.toFixed(0)}/s`
    );
  }
  const raw = median(results.map((x) => x.rawPerSec));
  const full = median(results.map((x) => x.classifyPerSec));
  const append = median(results.map((x) => x.appendPerSec));
  const row = (name: string, value: number): BenchRow => {
    const ratio = ratioOf(value, raw);
    return {
      name,
      value,
      baseline: raw,
      ratio,
      target: 'ratio ≥ 0.3',
      pass: ratio !== null && ratio >= 0.3,
      unit: 'events/s',
    };
  };
  return [
    row(`ingest: classify+validate+store+metrics (${n} events, batches of ${batch}) vs raw better-sqlite3`, full),
    row(`ingest: EventLog.appendMany only (pre-classified) vs raw better-sqlite3`, append),
  ];
}

// ---- 3. /metrics vs node_exporter --------------------------------------------------------------

const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';
const SERIES = 10_000;
const PLAIN_TEXT_ACCEPT = 'text/plain;version=0.0.4;q=1,*/*;q=0.1';

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function seriesLabel(i: number): string {
  return `s${String(i).padStart(5, '0')}`;
}

/** Waits `graceMs` for the child to exit by itself (it cleans up its temp folders), then SIGTERM, then SIGKILL. */
async function stopChild(child: ChildProcess, graceMs = 0): Promise<void> {
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  if (exited()) return;
  if (graceMs > 0) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, graceMs);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
    if (exited()) return;
  }
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
    }, 3000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

interface ScrapeComparison {
  sidecar: ReturnType<typeof summarize>;
  nodeExporter: ReturnType<typeof summarize>;
}

/**
 * Serves `textfile` (the same series in the Prometheus text format) from the real node_exporter's
 * textfile collector, then scrapes the sidecar and node_exporter `iterations` times each, one after the
 * other, after `warmup` scrapes.
 */
async function scrapeAgainstNodeExporter(
  sidecarUrl: string,
  sidecarHeaders: Record<string, string>,
  textfile: string,
  lastSeriesMarker: string,
  iterations: number,
  warmup: number,
  what: string
): Promise<ScrapeComparison> {
  const textDir = benchTempDir('textfile');
  let exporter: ChildProcess | null = null;
  try {
    const tmp = path.join(textDir, 'bench.prom.tmp');
    fs.writeFileSync(tmp, textfile);
    fs.renameSync(tmp, path.join(textDir, 'bench.prom'));
    const port = await freePort();
    const stderr: string[] = [];
    const child = spawn(
      NODE_EXPORTER,
      [
        '--collector.disable-defaults',
        '--collector.textfile',
        `--collector.textfile.directory=${textDir}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] }
    );
    exporter = child;
    child.stderr?.on('data', (c: Buffer) => stderr.push(c.toString()));
    const spawnFailed = new Promise<never>((_, reject) => child.once('error', reject));
    const neUrl = `http://127.0.0.1:${port}/metrics`;
    await Promise.race([
      spawnFailed,
      waitUntil(
        async () => {
          const r = await fetch(neUrl);
          return r.ok && (await r.text()).includes(lastSeriesMarker);
        },
        10_000,
        `node_exporter on :${port} (stderr: ${stderr.join('').slice(-500)})`
      ),
    ]);
    const headers = { accept: PLAIN_TEXT_ACCEPT };
    const sidecarRes = await scrapeSequentially(sidecarUrl, { ...headers, ...sidecarHeaders }, iterations, warmup);
    const neRes = await scrapeSequentially(neUrl, headers, iterations, warmup);
    if (sidecarRes.badStatus || neRes.badStatus) {
      throw new Error(
        `metrics bench: non-200 scrapes (sidecar ${sidecarRes.badStatus}, node_exporter ${neRes.badStatus})`
      );
    }
    const a = summarize(sidecarRes.latenciesMs);
    const b = summarize(neRes.latenciesMs);
    log(
      `${what}: sidecar ${sidecarRes.bodyBytes} B mean ${a.mean.toFixed(2)} ms p50 ${a.p50.toFixed(2)} p99 ${a.p99.toFixed(2)}; ` +
        `node_exporter ${neRes.bodyBytes} B mean ${b.mean.toFixed(2)} ms p50 ${b.p50.toFixed(2)} p99 ${b.p99.toFixed(2)}`
    );
    return { sidecar: a, nodeExporter: b };
  } finally {
    if (exporter) await stopChild(exporter);
    fs.rmSync(textDir, { recursive: true, force: true });
  }
}

function scrapeRows(label: string, iterations: number, c: ScrapeComparison): BenchRow[] {
  const row = (stat: 'mean' | 'p50'): BenchRow => {
    const ratio = ratioOf(c.sidecar[stat], c.nodeExporter[stat]);
    return {
      name: `/metrics scrape ${stat}, ${label}, vs node_exporter textfile (${iterations} sequential GETs)`,
      value: c.sidecar[stat],
      baseline: c.nodeExporter[stat],
      ratio,
      target: 'ratio ≤ 0.25',
      pass: ratio !== null && ratio <= 0.25,
      unit: 'ms',
    };
  };
  return [row('mean'), row('p50')];
}

async function metricsBench(quick: boolean): Promise<BenchRow[]> {
  const iterations = quick ? 30 : 200;
  const warmup = quick ? 5 : 20;
  const s = await startBenchSidecar();
  try {
    // 10,000 series on the sidecar's real registry: one bench gauge, 10,000 label values.
    const gauge = s.sidecar.ctx.metrics.gauge({
      name: 'lookout_bench_series',
      help: 'Benchmark-only gauge: one series per label value',
      labelNames: ['series'] as const,
    });
    const lines = [
      '# HELP lookout_bench_series Benchmark-only gauge: one series per label value',
      '# TYPE lookout_bench_series gauge',
    ];
    for (let i = 0; i < SERIES; i++) {
      const v = (i % 1000) / 8;
      gauge.set({ series: seriesLabel(i) }, v);
      lines.push(`lookout_bench_series{node="bench",series="${seriesLabel(i)}"} ${v}`);
    }
    const c = await scrapeAgainstNodeExporter(
      `${s.sidecar.url}/metrics`,
      s.auth,
      lines.join('\n') + '\n',
      `series="${seriesLabel(SERIES - 1)}"`,
      iterations,
      warmup,
      '/metrics (registry)'
    );
    return scrapeRows(`${SERIES} series`, iterations, c);
  } finally {
    await s.close();
  }
}

/**
 * Issue 13: 10,000 labeled workload series, fed the real way — a telemetry snapshot file in the
 * workspace, read by the watcher, judged sample by sample and exported — against node_exporter serving
 * the same series from its textfile collector.
 */
async function metricsTelemetryBench(quick: boolean): Promise<BenchRow[]> {
  const iterations = quick ? 30 : 200;
  const warmup = quick ? 5 : 20;
  const s = await startBenchSidecar();
  try {
    const samples: { name: string; labels: Record<string, string>; value: number; type: string }[] = [];
    const lines = [
      '# HELP lookout_workload_bench_latency_ms Workload telemetry gauge bench_latency_ms',
      '# TYPE lookout_workload_bench_latency_ms gauge',
    ];
    for (let i = 0; i < SERIES; i++) {
      const labels = {
        symbol: `sym${String(Math.floor(i / 100)).padStart(3, '0')}`,
        venue: `v${String(i % 100).padStart(2, '0')}`,
      };
      const value = (i % 1000) / 8;
      samples.push({ name: 'bench_latency_ms', labels, value, type: 'gauge' });
      lines.push(
        `lookout_workload_bench_latency_ms{symbol="${labels.symbol}",venue="${labels.venue}",node="bench"} ${value}`
      );
    }
    const file = path.join(s.workspace, 'telemetry', 'bench.json');
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ ts: new Date().toISOString(), samples }));
    fs.renameSync(`${file}.tmp`, file);
    const lastLine = lines[lines.length - 1]!;
    await waitUntil(
      async () => {
        const r = await fetch(`${s.sidecar.url}/metrics`, { headers: s.auth });
        return (await r.text()).includes(lastLine);
      },
      30_000,
      'the telemetry file to be exported'
    );
    const exported = s.sidecar.ctx.telemetry.store.size;
    if (exported !== SERIES) throw new Error(`metrics telemetry bench: ${exported} of ${SERIES} series held`);
    const c = await scrapeAgainstNodeExporter(
      `${s.sidecar.url}/metrics`,
      s.auth,
      lines.join('\n') + '\n',
      // node_exporter sorts label names (node first); the workload's own pair is enough to find the series.
      'symbol="sym099",venue="v99"',
      iterations,
      warmup,
      '/metrics (telemetry file)'
    );
    return scrapeRows(`${SERIES} labeled workload series fed through a telemetry file`, iterations, c);
  } finally {
    await s.close();
  }
}

// ---- 4. /api/v1/status vs bare node:http ------------------------------------------------------

function startBareServer(sample: Record<string, unknown>): Promise<{ url: string; close: () => Promise<void> }> {
  const startedAt = Date.now();
  const server = http.createServer((req, res) => {
    if (req.url !== '/status') {
      res.writeHead(404).end();
      return;
    }
    // Serialised per request, like the real route; only the uptime changes.
    const body = JSON.stringify({ ...sample, uptime_s: Math.round((Date.now() - startedAt) / 1000) });
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/status`,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}

async function statusBench(quick: boolean): Promise<BenchRow[]> {
  const concurrency = 16;
  const durationMs = quick ? 1000 : 4000;
  const warmupMs = quick ? 300 : 1000;
  const storeSizes = quick ? [0, 10_000] : [0, 100_000];
  const rows: BenchRow[] = [];
  for (const stored of storeSizes) {
    const s = await startBenchSidecar();
    let bare: Awaited<ReturnType<typeof startBareServer>> | null = null;
    try {
      if (stored) {
        const rules = defaultActivityRules();
        const files = activityFiles(1000).map((f) => toEventInput(f, rules));
        for (let i = 0; i < stored; i += 1000)
          s.sidecar.ctx.events.appendMany(files.slice(0, Math.min(1000, stored - i)));
      }
      const statusUrl = `${s.sidecar.url}/api/v1/status`;
      const sampleRes = await fetch(statusUrl, { headers: s.auth });
      if (!sampleRes.ok) throw new Error(`status bench: GET /api/v1/status answered ${sampleRes.status}`);
      const sample = z.record(z.string(), z.unknown()).parse(await sampleRes.json());
      bare = await startBareServer(sample);
      const side = await loadTest(statusUrl, s.auth, concurrency, durationMs, warmupMs);
      const base = await loadTest(bare.url, s.auth, concurrency, durationMs, warmupMs);
      if (side.badStatus || side.errors || base.badStatus || base.errors) {
        throw new Error(
          `status bench: failures (sidecar ${side.badStatus} bad/${side.errors} errors, bare ${base.badStatus}/${base.errors})`
        );
      }
      const value = side.completed / (side.elapsedMs / 1000);
      const baseline = base.completed / (base.elapsedMs / 1000);
      const ratio = ratioOf(value, baseline);
      log(
        `status (${stored} events stored): sidecar ${value.toFixed(0)} req/s, bare node:http ${baseline.toFixed(0)} req/s`
      );
      rows.push({
        name: `GET /api/v1/status, ${stored.toLocaleString('en-US')} events stored, ${concurrency} keep-alive clients, vs bare node:http`,
        value,
        baseline,
        ratio,
        target: 'ratio ≥ 0.5',
        pass: ratio !== null && ratio >= 0.5,
        unit: 'req/s',
      });
    } finally {
      await bare?.close();
      await s.close();
    }
  }
  return rows;
}

// ---- 5. RSS after ingesting 100,000 events -----------------------------------------------------

const rssReportSchema = z.object({ before: z.number(), after: z.number(), events: z.number().int() });

async function rssBench(quick: boolean): Promise<BenchRow[]> {
  const events = quick ? 20_000 : 100_000;
  const child = fork(path.join(__dirname, 'rss-child.js'), [String(events)], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  try {
    const report = await new Promise<z.infer<typeof rssReportSchema>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('rss bench: child did not report within 120 s')), 120_000);
      child.once('message', (m: unknown) => {
        clearTimeout(timer);
        const parsed = rssReportSchema.safeParse(m);
        if (parsed.success) resolve(parsed.data);
        else reject(new Error(`rss bench: unexpected report ${JSON.stringify(m)}`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`rss bench: child exited (${code}) before reporting`));
      });
    });
    const mb = (b: number): number => b / 1e6;
    const value = mb(report.after);
    const baseline = mb(report.before);
    return [
      {
        name: `RSS after ingesting ${report.events.toLocaleString('en-US')} events (baseline: same process before ingest)`,
        value,
        baseline,
        ratio: ratioOf(value, baseline),
        target: '< 200 MB',
        pass: value < 200,
        unit: 'MB',
      },
    ];
  } finally {
    await stopChild(child, 15_000);
  }
}

/** Runs the selected core benches in turn; each cleans up after itself. */
export async function run(opts?: BenchOptions): Promise<BenchRow[]> {
  const quick = opts?.quick ?? false;
  const rows: BenchRow[] = [];
  if (selected(opts, 'ingest')) rows.push(...(await ingestBench(quick)));
  if (selected(opts, 'metrics')) rows.push(...(await metricsBench(quick)));
  if (selected(opts, 'metrics-telemetry')) rows.push(...(await metricsTelemetryBench(quick)));
  if (selected(opts, 'status')) rows.push(...(await statusBench(quick)));
  if (selected(opts, 'rss')) rows.push(...(await rssBench(quick)));
  return rows;
}
