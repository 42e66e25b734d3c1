import { z } from 'zod';
import { type BenchOptions, type BenchRow, selected } from './bench-row';
import { BENCH_TOKEN, startBenchSidecar } from './bench-sidecar';
import { loadTest } from './http-load';
import { median } from './stats';

/** Issue 10: what the grafana delegation (X-Grafana-Context parsed, mapped and capped per request) costs. */
export const benches = ['auth-delegated'] as const;

const log = (msg: string): void => void process.stderr.write(`[auth-bench] ${msg}\n`);

const GRAFANA_TOKEN = 'bench-grafana-secret-0123456789abcdef';

/** X-Grafana-Context as Grafana's plugin proxy sends it (json.Marshal of SignedInUser). */
const CONTEXT = JSON.stringify({
  UserID: 12,
  UserUID: 'be4c1a2f',
  OrgID: 1,
  OrgName: 'Main Org.',
  OrgRole: 'Viewer',
  Login: 'bench-viewer',
  Name: 'Bench Viewer',
  Email: 'bench-viewer@example.org',
  AuthenticatedBy: 'password',
  IsServiceAccount: false,
  IsGrafanaAdmin: false,
  IsAnonymous: false,
  IsDisabled: false,
  HelpFlags1: 0,
  LastSeenAt: '2026-12-01T10:00:00Z',
  Teams: [],
});

const authSchema = z.object({ auth: z.object({ actor: z.string(), role: z.string() }) });

async function delegatedBench(quick: boolean): Promise<BenchRow[]> {
  const concurrency = 16;
  const durationMs = quick ? 400 : 1000;
  const warmupMs = quick ? 100 : 200;
  const rounds = quick ? 2 : 12;
  const s = await startBenchSidecar({
    tokens: [
      { name: 'bench', role: 'viewer', secret: BENCH_TOKEN },
      { name: 'grafana', role: 'grafana', secret: GRAFANA_TOKEN },
    ],
  });
  try {
    const url = `${s.sidecar.url}/api/v1/status`;
    const viewer = s.auth;
    const delegated = { authorization: `Bearer ${GRAFANA_TOKEN}`, 'x-grafana-context': CONTEXT };
    // Both credentials really take their own path: the plain token acts as itself, the delegation as the person.
    for (const [headers, actor] of [
      [viewer, 'bench'],
      [delegated, 'grafana:bench-viewer'],
    ] as const) {
      const res = await fetch(url, { headers });
      if (!res.ok) throw new Error(`auth bench: GET /api/v1/status answered ${res.status}`);
      const got = authSchema.parse(await res.json()).auth;
      if (got.actor !== actor || got.role !== 'viewer') {
        throw new Error(`auth bench: expected ${actor} as viewer, the sidecar says ${got.actor} as ${got.role}`);
      }
    }
    // Short back-to-back pairs in ABBA order: the bench machine is shared, and its load swings the
    // throughput of a whole round by ±50 %. Both runs of a pair see the same swing, so the ratio is the
    // median of the pairs' ratios (the values are the medians of each side, for scale).
    const rps: Record<'viewer' | 'delegated', number[]> = { viewer: [], delegated: [] };
    const pairRatios: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 === 0 ? (['delegated', 'viewer'] as const) : (['viewer', 'delegated'] as const);
      const pair: Partial<Record<'viewer' | 'delegated', number>> = {};
      for (const name of order) {
        const r = await loadTest(url, name === 'viewer' ? viewer : delegated, concurrency, durationMs, warmupMs);
        if (r.badStatus || r.errors) throw new Error(`auth bench: ${name}: ${r.badStatus} bad, ${r.errors} errors`);
        pair[name] = r.completed / (r.elapsedMs / 1000);
        rps[name].push(pair[name]);
      }
      pairRatios.push(pair.delegated! / pair.viewer!);
    }
    const value = median(rps.delegated);
    const baseline = median(rps.viewer);
    const ratio = median(pairRatios);
    log(
      `status, ${rounds} pairs: grafana delegation ${value.toFixed(0)} req/s, plain viewer token ${baseline.toFixed(0)} req/s ` +
        `(median), pair ratios ${pairRatios.map((r) => r.toFixed(2)).join(' ')}`
    );
    return [
      {
        name: `GET /api/v1/status with the grafana token + X-Grafana-Context, ${concurrency} keep-alive clients, vs a viewer token (ratio: median of ${rounds} back-to-back pairs)`,
        value,
        baseline,
        ratio,
        target: 'ratio ≥ 0.9',
        pass: ratio !== null && ratio >= 0.9,
        unit: 'req/s',
      },
    ];
  } finally {
    await s.close();
  }
}

export async function run(opts?: BenchOptions): Promise<BenchRow[]> {
  const quick = opts?.quick ?? false;
  return selected(opts, 'auth-delegated') ? delegatedBench(quick) : [];
}
