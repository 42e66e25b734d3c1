import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchModule, BenchOptions, BenchRow } from './bench-row';

/**
 * `npm run bench -w exporter`: imports every `*-bench` module in this folder, runs them one after the
 * other and prints one table. A missed target is printed, not thrown; the exit code is 1 only when a
 * bench crashed (2 for bad arguments).
 *
 *   --quick            smaller sizes and shorter runs (a smoke run of the benches themselves)
 *   --only a[,b]       only these modules (`core`, `watcher`, …) or sub-benches (`ingest`, `metrics`, …)
 */

class BenchArgsError extends Error {
  override name = 'BenchArgsError';
}

interface Args {
  quick: boolean;
  only: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { quick: false, only: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') args.quick = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++i] : a.slice('--only='.length);
      if (!v) throw new BenchArgsError('--only needs a name (a module such as core, or a bench such as metrics)');
      args.only.push(
        ...v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      );
    } else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: run.js [--quick] [--only name[,name]]\n');
      process.exit(0);
    } else throw new BenchArgsError(`unknown argument ${a}`);
  }
  return args;
}

interface Discovered {
  name: string;
  file: string;
}

function discover(dir: string): Discovered[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /-bench\.js$/.test(f))
    .sort()
    .map((f) => ({ name: f.replace(/-bench\.js$/, ''), file: path.join(dir, f) }));
}

function isBenchModule(m: unknown): m is BenchModule {
  return typeof m === 'object' && m !== null && typeof (m as { run?: unknown }).run === 'function';
}

async function load(file: string): Promise<BenchModule> {
  const ns: unknown = await import(pathToFileURL(file).href);
  // A CommonJS module imported this way may carry its exports on `default` only.
  const candidates = [ns, (ns as { default?: unknown } | null)?.default];
  const mod = candidates.find(isBenchModule);
  if (!mod) throw new Error(`${path.basename(file)} does not export run(): Promise<BenchRow[]>`);
  return mod;
}

function fmt(n: number | null, digits?: number): string {
  if (n === null) return '—';
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  const d = digits ?? (abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3);
  return n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

function verdict(r: BenchRow): string {
  if (r.pass === null) return '—';
  return r.pass ? 'pass' : '**miss**';
}

function table(rows: readonly (BenchRow & { crashed?: boolean })[]): string {
  const lines = ['| benchmark | value | baseline | ratio | target | verdict |', '|---|---:|---:|---:|---|---|'];
  for (const r of rows) {
    const cell = (s: string): string => s.replace(/\|/g, '\\|');
    if (r.crashed) {
      lines.push(`| ${cell(r.name)} | — | — | — | ${cell(r.target)} | **CRASH** |`);
      continue;
    }
    const unit = r.unit ? ` ${r.unit}` : '';
    lines.push(
      `| ${cell(r.name)} | ${fmt(r.value)}${unit} | ${r.baseline === null ? '—' : fmt(r.baseline) + unit} | ${fmt(r.ratio, 3)} | ${cell(r.target)} | ${verdict(r)} |`
    );
  }
  return lines.join('\n');
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const found = discover(__dirname);
  const modules: { name: string; mod: BenchModule | null; loadError: unknown }[] = [];
  for (const d of found) {
    try {
      modules.push({ name: d.name, mod: await load(d.file), loadError: null });
    } catch (err) {
      modules.push({ name: d.name, mod: null, loadError: err });
    }
  }
  const known = new Set(modules.flatMap((m) => [m.name, ...(m.mod?.benches ?? [])]));
  const unknown = args.only.filter((o) => !known.has(o));
  if (unknown.length) {
    process.stderr.write(`--only: no bench named ${unknown.join(', ')}; known: ${[...known].sort().join(', ')}\n`);
    return 2;
  }

  const rows: (BenchRow & { crashed?: boolean })[] = [];
  let crashed = false;
  const started = Date.now();
  for (const m of modules) {
    let only: string[] = [];
    if (args.only.length && !args.only.includes(m.name)) {
      only = args.only.filter((o) => m.mod?.benches?.includes(o));
      if (!only.length) continue;
    }
    const opts: BenchOptions = { quick: args.quick, only };
    const t0 = Date.now();
    process.stderr.write(
      `[bench] ${m.name}: running${only.length ? ` (${only.join(', ')})` : ''}${args.quick ? ' (quick)' : ''}\n`
    );
    try {
      if (!m.mod) throw m.loadError;
      const got = await m.mod.run(opts);
      rows.push(...got);
      process.stderr.write(`[bench] ${m.name}: ${got.length} rows in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    } catch (err) {
      crashed = true;
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`[bench] ${m.name} crashed: ${err instanceof Error ? (err.stack ?? message) : message}\n`);
      rows.push({
        name: `${m.name}: crashed (${message.split('\n')[0]})`,
        value: Number.NaN,
        baseline: null,
        ratio: null,
        target: '—',
        pass: false,
        unit: '',
        crashed: true,
      });
    }
  }
  const misses = rows.filter((r) => r.pass === false && !r.crashed).length;
  process.stdout.write(`\n${table(rows)}\n\n`);
  process.stdout.write(
    `${rows.length} rows, ${misses} missed target${misses === 1 ? '' : 's'}${crashed ? ', at least one bench CRASHED' : ''}; ` +
      `${((Date.now() - started) / 1000).toFixed(0)} s${args.quick ? ' (quick: sizes reduced, not for quoting)' : ''}\n`
  );
  return crashed ? 1 : 0;
}

void main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  }
);
