import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { InProcessBus } from '../src/bus/inprocess-bus';
import type { Bus } from '../src/bus/bus';
import type { Sidecar } from '../src/main';
import { guardianRuleSchema, type GuardianRule } from '../src/guardian';
import { type BenchOptions, type BenchRow, ratioOf, selected } from './bench-row';
import { startBenchSidecar } from './bench-sidecar';
import { median, nowMs, summarize } from './stats';

/** Issue 3's control-plane benchmarks. */
export const benches = ['control-apply', 'control-kill', 'control-guardian'] as const;

const log = (msg: string): void => void process.stderr.write(`[control-bench] ${msg}\n`);

const ADMIN = 'bench-admin-secret-0123456789abcdef';

/** The slice of the example workload this bench drives (loaded at run time from its build). */
interface BenchSimulator {
  getState(): { killed: boolean };
  attachBus(bus: Bus, node: string): { unsubscribe(): void };
  stop(): void;
}
interface ExamplesModule {
  createSimulator(opts: { workspace: string; seed?: number; tickMs?: number; autopilot?: boolean }): BenchSimulator;
}

/** `@lookout/examples` from its build; builds it once when the build is missing. */
async function loadExamples(): Promise<ExamplesModule> {
  const spec = '@lookout/examples';
  try {
    return (await import(spec)) as ExamplesModule;
  } catch {
    const root = path.resolve(__dirname, '..', '..', '..');
    const examples = fs.existsSync(path.join(root, 'examples'))
      ? path.join(root, 'examples')
      : path.resolve(__dirname, '..', '..', 'examples');
    log('building the example workload (examples/dist is missing)');
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', path.join(examples, 'tsconfig.build.json')],
      { stdio: 'inherit' }
    );
    return (await import(spec)) as ExamplesModule;
  }
}

interface Rig {
  sidecar: Sidecar;
  sim: BenchSimulator | null;
  call(
    method: string,
    route: string,
    body?: unknown,
    headers?: Record<string, string>
  ): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

async function startRig(withWorkload: boolean): Promise<Rig> {
  const examples = withWorkload ? await loadExamples() : null;
  const bus = new InProcessBus();
  // Set from prepareWorkspace, which runs on the fresh workspace before the sidecar starts.
  const workload: { sim: BenchSimulator | null } = { sim: null };
  const bench = await startBenchSidecar(
    {
      tokens: [{ name: 'bench-admin', role: 'admin', secret: ADMIN }],
      http: { control_rate_limit_per_minute: 1_000_000 },
      guardian: { enabled: false },
      scheduler: { enabled: false },
    },
    {
      bus,
      prepareWorkspace: (workspace) => {
        if (!examples) return;
        const sim = examples.createSimulator({ workspace, seed: 5, tickMs: 60_000, autopilot: false });
        sim.getState();
        sim.attachBus(bus, 'bench');
        workload.sim = sim;
      },
    }
  );
  const { sidecar } = bench;
  const sim = workload.sim;
  const start = Date.now();
  while (withWorkload && sidecar.ctx.telemetryRepo.latestValue('state_active') === undefined) {
    if (Date.now() - start > 10_000) throw new Error('the workload telemetry never arrived');
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    sidecar,
    sim,
    async call(method, route, body, headers = {}) {
      const res = await fetch(sidecar.url + route, {
        method,
        headers: {
          authorization: `Bearer ${ADMIN}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
    },
    async close() {
      sim?.stop();
      await bench.close();
    },
  };
}

let keySeq = 0;
async function planApply(rig: Rig, name: string, reason: string): Promise<string> {
  const plan = await rig.call('POST', `/api/v1/actions/${name}/plan`, {});
  const planId = (plan.body as { plan_id: string }).plan_id;
  const r = await rig.call(
    'POST',
    `/api/v1/actions/${name}/apply`,
    { plan_id: planId, reason },
    { 'idempotency-key': `bench-${process.pid}-${++keySeq}` }
  );
  if (r.status !== 202) throw new Error(`${name} apply answered ${r.status}: ${JSON.stringify(r.body)}`);
  return (r.body as { id: string }).id;
}

// ---- 1. plan + apply round trip against GET /api/v1/status ----------------------------------------

async function applyBench(quick: boolean): Promise<BenchRow[]> {
  const n = quick ? 40 : 300;
  const rig = await startRig(false);
  try {
    const status: number[] = [];
    const apply: number[] = [];
    for (let i = 0; i < 10; i++) {
      await rig.call('GET', '/api/v1/status');
      await planApply(rig, 'flush_guardrails', 'warm-up');
    }
    await rig.sidecar.control.actions.settle();
    // Interleaved, so both see the same machine and the same store size.
    for (let i = 0; i < n; i++) {
      let t0 = nowMs();
      await rig.call('GET', '/api/v1/status');
      status.push(nowMs() - t0);
      t0 = nowMs();
      await planApply(rig, 'flush_guardrails', 'bench round trip');
      apply.push(nowMs() - t0);
    }
    await rig.sidecar.control.actions.settle();
    const s = summarize(status);
    const a = summarize(apply);
    log(
      `status p50 ${s.p50.toFixed(2)} ms p99 ${s.p99.toFixed(2)} ms; plan+apply p50 ${a.p50.toFixed(2)} ms p99 ${a.p99.toFixed(2)} ms`
    );
    const ratio = ratioOf(a.p99, s.p99);
    return [
      {
        name: 'control: plan+apply round trip p50',
        value: a.p50,
        baseline: s.p50,
        ratio: ratioOf(a.p50, s.p50),
        target: 'context',
        pass: null,
        unit: 'ms',
      },
      {
        name: 'control: plan+apply round trip p99 vs GET /api/v1/status p99',
        value: a.p99,
        baseline: s.p99,
        ratio,
        target: 'ratio <= 5',
        pass: ratio !== null && ratio <= 5,
        unit: 'ms',
      },
    ];
  } finally {
    await rig.close();
  }
}

// ---- 2. kill applied → workload stopped → verified ------------------------------------------------

async function killBench(quick: boolean): Promise<BenchRow[]> {
  const rounds = quick ? 5 : 30;
  const rig = await startRig(true);
  try {
    const { actions } = rig.sidecar.control;
    const waitFinal = (id: string): Promise<string> =>
      new Promise((resolve) => {
        const check = (): boolean => {
          const a = actions.get(id);
          if (a?.finished_at) {
            resolve(a.status);
            return true;
          }
          return false;
        };
        if (check()) return;
        const off = rig.sidecar.ctx.events.onAppend((batch) => {
          if (
            batch.some(
              (e) =>
                e.subject === id &&
                e.kind !== 'action.applied' &&
                e.kind !== 'action.applying' &&
                e.kind !== 'action.planned'
            ) &&
            check()
          )
            off();
        });
      });
    const killed: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const t0 = nowMs();
      const id = await planApply(rig, 'kill', 'bench kill');
      const status = await waitFinal(id);
      const dt = nowMs() - t0;
      if (status !== 'verified') throw new Error(`kill ended ${status}`);
      if (!rig.sim!.getState().killed) throw new Error('the workload is still trading after a verified kill');
      killed.push(dt);
      const rid = await planApply(rig, 'kill_release', 'bench release');
      const rs = await waitFinal(rid);
      if (rs !== 'verified') throw new Error(`kill_release ended ${rs}`);
    }
    const k = summarize(killed);
    log(`kill → stopped → verified p50 ${k.p50.toFixed(1)} ms p99 ${k.p99.toFixed(1)} ms over ${rounds}`);
    return [
      {
        name: 'control: kill → workload stopped → verified p50',
        value: k.p50,
        baseline: null,
        ratio: null,
        target: 'context',
        pass: null,
        unit: 'ms',
      },
      {
        name: 'control: kill → workload stopped → verified p99',
        value: k.p99,
        baseline: null,
        ratio: null,
        target: '< 1000 ms',
        pass: k.p99 < 1000,
        unit: 'ms',
      },
    ];
  } finally {
    await rig.close();
  }
}

// ---- 3. guardian tick with 1,000 rules ------------------------------------------------------------

const CLASSIC_METRICS = [
  'drift_score',
  'policy_confidence',
  'pnl_realized',
  'pnl_unrealized',
  'order_fill_ratio',
  'venue_latency_ms',
  'state_active',
];
const FAMILIES = 20;
const SERIES_PER_FAMILY = 50;

// Rule builders: none of these rules fires on the bench's data (the bench measures judging, not acting).
const thresholdRules = (n: number, prefix: string): unknown[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `${prefix}_${i}`,
    type: 'threshold',
    metric: CLASSIC_METRICS[i % CLASSIC_METRICS.length],
    op: '>',
    value: 1e12 + i,
    for: `${(i % 10) + 1}m`,
  }));
const eventRateRules = (n: number): unknown[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `e_${i}`,
    type: 'event_rate',
    window: `${(i % 5) + 1}m`,
    kind: i % 2 ? 'telemetry.*' : 'file.changed',
    op: '>',
    value: 1e9,
  }));
const heartbeatRules = (n: number): unknown[] =>
  Array.from({ length: n }, (_, i) => ({ name: `h_${i}`, type: 'heartbeat_staleness', max_age: '5m' }));

/** Over the labeled families of `labeledSnapshot`: equality, regex and negated selectors, every aggregate. */
function labeledRules(n: number): unknown[] {
  const aggregates = ['any', 'all', 'max', 'min', 'avg', 'sum', 'count'] as const;
  return Array.from({ length: n }, (_, i) => ({
    name: `l_${i}`,
    type: 'threshold',
    metric: `signal_${i % FAMILIES}`,
    match:
      i % 3 === 0
        ? { venue: `v${i % SERIES_PER_FAMILY}` }
        : i % 3 === 1
          ? { venue: { re: `v${i % 5}[0-9]?` }, desk: 'a' }
          : { desk: { not: 'b' }, venue: { not_re: `v${i % 7}` } },
    aggregate: aggregates[i % aggregates.length],
    op: '>',
    value: 1e12 + i,
    for: `${(i % 10) + 1}m`,
  }));
}

const parseRules = (raw: unknown[]): GuardianRule[] => raw.map((r) => guardianRuleSchema.parse(r));

function thousandRules(): GuardianRule[] {
  return parseRules([...thresholdRules(700, 't'), ...eventRateRules(250), ...heartbeatRules(50)]);
}

/** Labeled workload telemetry for the 10,000-rule bench: 20 families × 50 venues. */
function labeledSnapshot(): { samples: { name: string; labels: Record<string, string>; value: number }[] } {
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (let f = 0; f < FAMILIES; f++) {
    for (let v = 0; v < SERIES_PER_FAMILY; v++) {
      samples.push({ name: `signal_${f}`, labels: { venue: `v${v}`, desk: v % 2 ? 'a' : 'b' }, value: v + f });
    }
  }
  return { samples };
}

/**
 * Issue 13: 10,000 rules, 4,500 of them over labeled series with selectors (equality, regex, negation) and
 * every aggregate, plus unlabeled thresholds, event-rate, heartbeat and telemetry-staleness rules.
 */
function tenThousandRules(): GuardianRule[] {
  return parseRules([
    ...thresholdRules(2000, 'c'),
    ...labeledRules(4500),
    ...eventRateRules(2500),
    ...heartbeatRules(500),
    ...Array.from({ length: 500 }, (_, i) => ({
      name: `s_${i}`,
      type: 'telemetry_stale',
      max_age: `${(i % 10) + 10}m`,
    })),
  ]);
}

async function guardianBench(quick: boolean): Promise<BenchRow[]> {
  const ticks = quick ? 5 : 30;
  const rig = await startRig(false);
  try {
    const { ctx } = rig.sidecar;
    const g = rig.sidecar.control.guardian;
    // A realistic store: ten minutes of telemetry at 1 Hz and a few thousand events.
    const t0 = Date.now() - 600_000;
    for (let s = 0; s < 600; s++) {
      ctx.telemetry.ingest(
        {
          ts: new Date(t0 + s * 1000).toISOString(),
          metrics: {
            drift_score: 0.1,
            policy_confidence: 0.9,
            pnl_realized: s,
            pnl_unrealized: 1,
            order_fill_ratio: 0.95,
            venue_latency_ms: 8,
            state_active: 1,
          },
          labels: {},
        },
        'api'
      );
    }
    ctx.events.appendMany(
      Array.from({ length: 3000 }, (_, i) => ({ source: 'watcher' as const, kind: 'file.changed', subject: `f${i}` }))
    );
    ctx.telemetry.ingest(labeledSnapshot(), 'api');
    const time = (): number => {
      const a = nowMs();
      g.tick();
      return nowMs() - a;
    };
    g.setRules([]);
    for (let i = 0; i < 3; i++) time();
    const empty = median(Array.from({ length: ticks }, time));
    g.setRules(thousandRules());
    for (let i = 0; i < 2; i++) time();
    const full = median(Array.from({ length: ticks }, time));
    g.setRules(tenThousandRules());
    for (let i = 0; i < 2; i++) time();
    const tenK = median(Array.from({ length: ticks }, time));
    const fired = g.tick().filter((r) => r.verdict === 'fail').length;
    if (fired) throw new Error(`guardian bench: ${fired} of the 10,000 rules fired; the bench must only judge`);
    const interval = ctx.config.guardian.tick_ms;
    log(
      `guardian tick: empty ${empty.toFixed(3)} ms, 1000 rules ${full.toFixed(1)} ms, 10,000 rules ${tenK.toFixed(1)} ms (interval ${interval} ms)`
    );
    return [
      {
        name: 'control: guardian tick, 1,000 rules vs empty tick',
        value: full,
        baseline: empty,
        ratio: ratioOf(full, empty),
        target: 'context',
        pass: null,
        unit: 'ms',
      },
      {
        name: `control: guardian tick, 1,000 rules, share of the ${interval} ms interval`,
        value: (full / interval) * 100,
        baseline: null,
        ratio: null,
        target: '< 10 %',
        pass: full < interval * 0.1,
        unit: '%',
      },
      {
        name: `control: guardian tick, 10,000 rules (4,500 with label selectors over ${FAMILIES * SERIES_PER_FAMILY} labeled series), share of the ${interval} ms interval`,
        value: (tenK / interval) * 100,
        baseline: null,
        ratio: null,
        target: '< 10 %',
        pass: tenK < interval * 0.1,
        unit: '%',
      },
    ];
  } finally {
    await rig.close();
  }
}

export async function run(opts?: BenchOptions): Promise<BenchRow[]> {
  const quick = opts?.quick ?? false;
  const rows: BenchRow[] = [];
  if (selected(opts, 'control-apply')) rows.push(...(await applyBench(quick)));
  if (selected(opts, 'control-kill')) rows.push(...(await killBench(quick)));
  if (selected(opts, 'control-guardian')) rows.push(...(await guardianBench(quick)));
  return rows;
}
