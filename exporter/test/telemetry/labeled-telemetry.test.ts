import fs from 'node:fs';
import path from 'node:path';
import { BINARIES, hasBinary, runTool } from '../helpers/prometheus';
import { type TestSidecar, startTestSidecar } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';

/** Writes a snapshot file the way a workload does: a temp name renamed into place. */
function writeSnapshot(workspace: string, name: string, snapshot: unknown): void {
  const file = path.join(workspace, 'telemetry', name);
  fs.writeFileSync(`${file}.tmp`, typeof snapshot === 'string' ? snapshot : JSON.stringify(snapshot));
  fs.renameSync(`${file}.tmp`, file);
}

async function scrape(t: TestSidecar): Promise<string> {
  return String((await t.call('GET', '/metrics', { as: 'viewer' })).body);
}

const workloadLines = (text: string, name: string): string[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`lookout_workload_${name}{`) || l.startsWith(`lookout_workload_${name} `));

const rejectedCount = (text: string, reason: string): number =>
  Number(
    new RegExp(`^lookout_telemetry_samples_rejected_total\\{reason="${reason}",node="test-node"\\} (\\d+)$`, 'm').exec(
      text
    )?.[1] ?? NaN
  );

describe('labeled workload telemetry', () => {
  let t: TestSidecar;
  let now = Date.now();
  beforeEach(async () => {
    now = Date.now();
    t = await startTestSidecar({ now: () => now, overrides: { telemetry: { max_series: 1000, ttl_ms: 60_000 } } });
  });
  afterEach(async () => {
    await t.stop();
  });

  it('exports samples with their labels and type next to the unlabeled metrics, and passes promtool', async () => {
    writeSnapshot(t.workspace, 'snap.json', {
      metrics: { drift_score: 0.3 },
      samples: [
        { name: 'venue_latency_ms', labels: { venue: 'CME' }, value: 8.5 },
        { name: 'venue_latency_ms', labels: { venue: 'ICE' }, value: 11 },
        { name: 'corr', labels: { pair: 'BTC-ETH' }, value: 0.82, help: 'Pairwise correlation' },
        { name: 'orders', labels: { venue: 'CME', side: 'buy' }, value: 42, type: 'counter' },
        { name: 'quote', labels: { text: 'say "hi"\\there\nnow' }, value: 1 },
      ],
    });
    await waitFor(() => t.sidecar.ctx.telemetry.family('quote'));
    const text = await scrape(t);
    expect(workloadLines(text, 'venue_latency_ms')).toEqual([
      'lookout_workload_venue_latency_ms{venue="CME",node="test-node"} 8.5',
      'lookout_workload_venue_latency_ms{venue="ICE",node="test-node"} 11',
    ]);
    expect(text).toContain('# HELP lookout_workload_corr Pairwise correlation\n# TYPE lookout_workload_corr gauge');
    expect(text).toContain('# TYPE lookout_workload_orders_total counter');
    expect(workloadLines(text, 'orders_total')).toEqual([
      'lookout_workload_orders_total{side="buy",venue="CME",node="test-node"} 42',
    ]);
    expect(workloadLines(text, 'quote')).toEqual([
      'lookout_workload_quote{text="say \\"hi\\"\\\\there\\nnow",node="test-node"} 1',
    ]);
    expect(workloadLines(text, 'drift_score')).toEqual(['lookout_workload_drift_score{node="test-node"} 0.3']);
    // OpenMetrics from the same families: counters as <name>_total samples of the family <name>.
    const om = await t.call('GET', '/metrics', { as: 'viewer', headers: { accept: 'application/openmetrics-text' } });
    expect(String(om.body)).toContain('# TYPE lookout_workload_orders counter');
    expect(String(om.body)).toMatch(/^lookout_workload_orders_total\{side="buy",venue="CME",node="test-node"\} 42$/m);
    if (!hasBinary(BINARIES.promtool))
      throw new Error(`${BINARIES.promtool} is missing: apt-get install -y prometheus`);
    const lint = await runTool(BINARIES.promtool, ['check', 'metrics'], { stdin: text });
    expect((lint.stdout + lint.stderr).split('\n').filter((l) => /error|parse/i.test(l))).toEqual([]);
  });

  it('keeps the good part of a snapshot and counts each refused sample by reason', async () => {
    // 1e999 parses to Infinity; "NaN" is how a workload that meant NaN writes it in JSON.
    writeSnapshot(
      t.workspace,
      'snap.json',
      `{"metrics":{"good":1,"bad name":2,"inf":1e999},"samples":[
        {"name":"ok","labels":{"venue":"CME"},"value":1},
        {"name":"ok","labels":{"__name":"x"},"value":1},
        {"name":"ok","labels":{"node":"other"},"value":1},
        {"name":"ok","labels":{"bad-label":"x"},"value":1},
        {"name":"ok","labels":{"v":"${'x'.repeat(300)}"},"value":1},
        {"name":"nan","value":"NaN"},
        {"name":"neg","value":-1,"type":"counter"},
        {"name":"ok","labels":{"venue":"CME"},"value":2},
        {"name":"info","value":1},
        {"value":1}
      ]}`
    );
    await waitFor(() => t.sidecar.ctx.telemetry.family('ok'));
    const text = await scrape(t);
    expect(workloadLines(text, 'good')).toHaveLength(1);
    expect(workloadLines(text, 'ok')).toEqual(['lookout_workload_ok{venue="CME",node="test-node"} 1']);
    expect({
      invalid_name: rejectedCount(text, 'invalid_name'),
      not_finite: rejectedCount(text, 'not_finite'),
      invalid_label: rejectedCount(text, 'invalid_label'),
      negative_counter: rejectedCount(text, 'negative_counter'),
      duplicate_series: rejectedCount(text, 'duplicate_series'),
      name_conflict: rejectedCount(text, 'name_conflict'),
      invalid_sample: rejectedCount(text, 'invalid_sample'),
    }).toEqual({
      invalid_name: 1,
      not_finite: 2,
      invalid_label: 4,
      negative_counter: 1,
      duplicate_series: 1,
      name_conflict: 1,
      invalid_sample: 1,
    });
    const [event] = t.sidecar.ctx.events.query({ kinds: ['telemetry.rejected'], limit: 5 });
    expect(event!.severity).toBe('warning');
    expect(event!.data).toMatchObject({ accepted: 2, rejected: 11, origin: 'watcher' });
    const paths = (event!.data['examples'] as { path: string; reason: string }[]).map((e) => `${e.path} ${e.reason}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'metrics.bad name invalid_name',
        'metrics.inf not_finite',
        'samples.1.labels.__name invalid_label',
        'samples.2.labels.node invalid_label',
        'samples.5.value not_finite',
        'info name_conflict',
      ])
    );
    // The file itself was accepted: no telemetry.invalid, and a later good snapshot is taken as usual.
    expect(t.sidecar.ctx.events.query({ kinds: ['telemetry.invalid'], limit: 5 })).toEqual([]);
  });

  it('refuses a type change for an existing name, per sample, and keeps the rest', async () => {
    writeSnapshot(t.workspace, 'a.json', {
      samples: [{ name: 'orders', labels: { v: 'a' }, value: 1, type: 'counter' }],
    });
    await waitFor(() => t.sidecar.ctx.telemetry.family('orders'));
    writeSnapshot(t.workspace, 'b.json', {
      samples: [
        { name: 'orders', labels: { v: 'b' }, value: 5, type: 'gauge' },
        { name: 'other', value: 3 },
      ],
    });
    await waitFor(() => t.sidecar.ctx.telemetry.family('other'));
    const text = await scrape(t);
    expect(rejectedCount(text, 'type_conflict')).toBe(1);
    expect(workloadLines(text, 'orders_total')).toEqual(['lookout_workload_orders_total{v="a",node="test-node"} 1']);
    const [event] = t.sidecar.ctx.events.query({ kinds: ['telemetry.rejected'], limit: 1 });
    expect(event!.data['examples']).toEqual([
      {
        path: 'orders{v="b"}',
        name: 'orders',
        reason: 'type_conflict',
        message: 'orders is a counter; a gauge sample cannot change that',
      },
    ]);
  });

  it('a snapshot with 100,000 series: the limit is kept, the overflow counted and reported, the sidecar unharmed', async () => {
    const samples = Array.from({ length: 100_000 }, (_, i) => ({ name: 'wide', labels: { id: `s${i}` }, value: i }));
    // Through NATS's path (the bus in-process): the sender hears what was kept.
    const reply = (await t.sidecar.ctx.bus.request(
      'lookout.telemetry.test-node',
      { samples },
      { timeoutMs: 30_000 }
    )) as {
      ok: boolean;
      accepted: number;
      rejected: number;
    };
    expect(reply).toMatchObject({ ok: true, accepted: 1000, rejected: 99_000 });
    expect(t.sidecar.ctx.telemetry.store.size).toBe(1000);
    const text = await scrape(t);
    expect(workloadLines(text, 'wide')).toHaveLength(1000);
    expect(rejectedCount(text, 'series_limit')).toBe(99_000);
    const [event] = t.sidecar.ctx.events.query({ kinds: ['telemetry.rejected'], limit: 1 });
    expect(event!.data).toMatchObject({ accepted: 1000, rejected: 99_000, by_reason: { series_limit: 99_000 } });
    // Known series still update; a new one still does not fit.
    const again = await t.sidecar.ctx.bus.request(
      'lookout.telemetry.test-node',
      {
        samples: [
          { name: 'wide', labels: { id: 's0' }, value: -5 },
          { name: 'new_one', value: 1 },
        ],
      },
      { timeoutMs: 5000 }
    );
    expect(again).toMatchObject({ ok: true, accepted: 1, rejected: 1 });
    expect(await scrape(t)).toContain('lookout_workload_wide{id="s0",node="test-node"} -5');
    expect((await t.call('GET', '/healthz', { as: null })).status).toBe(200);
  });

  it('series past the TTL stop being exported, free their place under the limit, and come back when reported again', async () => {
    writeSnapshot(t.workspace, 'snap.json', {
      metrics: { drift_score: 0.5 },
      samples: [{ name: 'lat', labels: { v: 'a' }, value: 3 }],
    });
    await waitFor(() => t.sidecar.ctx.telemetry.family('lat'));
    now += 30_000;
    expect(workloadLines(await scrape(t), 'lat')).toHaveLength(1);
    now += 31_000;
    const text = await scrape(t);
    expect(workloadLines(text, 'lat')).toEqual([]);
    expect(workloadLines(text, 'drift_score')).toEqual([]);
    expect(text).toMatch(/^lookout_telemetry_series\{state="stale",node="test-node"\} 2$/m);
    expect(text).toMatch(/^lookout_workload_telemetry_age_seconds\{node="test-node"\} 61$/m);
    writeSnapshot(t.workspace, 'snap.json', { metrics: { drift_score: 0.6 } });
    await waitFor(() => t.sidecar.ctx.telemetry.ageSeconds() === 0);
    const back = await scrape(t);
    expect(workloadLines(back, 'drift_score')).toEqual(['lookout_workload_drift_score{node="test-node"} 0.6']);
    expect(workloadLines(back, 'lat')).toEqual([]);
    // At the limit (1000), the stale series make room for new ones; the fresh one stays.
    const fill = Array.from({ length: 999 }, (_, i) => ({ name: 'fill', labels: { i: String(i) }, value: i }));
    expect(t.sidecar.ctx.telemetry.ingest({ samples: fill }, 'api')).toMatchObject({
      ok: true,
      accepted: 999,
      rejected: [],
    });
    expect(t.sidecar.ctx.telemetry.store.size).toBe(1000);
    expect(t.sidecar.ctx.telemetry.family('lat')).toBeUndefined();
    expect(t.sidecar.ctx.metrics.registeredNames()).not.toContain('lookout_workload_lat');
  });

  it('keeps series, their types and values across a restart', async () => {
    writeSnapshot(t.workspace, 'snap.json', {
      samples: [{ name: 'orders', labels: { v: 'a' }, value: 7, type: 'counter' }],
    });
    await waitFor(() => t.sidecar.ctx.telemetry.family('orders'));
    const { dataDir, workspace } = t;
    await t.stop();
    t = await startTestSidecar({
      dataDir,
      workspace,
      now: () => now,
      overrides: { telemetry: { max_series: 1000, ttl_ms: 60_000 } },
    });
    expect(workloadLines(await scrape(t), 'orders_total')).toEqual([
      'lookout_workload_orders_total{v="a",node="test-node"} 7',
    ]);
    const r = t.sidecar.ctx.telemetry.ingest({ samples: [{ name: 'orders', labels: { v: 'b' }, value: 1 }] }, 'api');
    expect(r).toMatchObject({ ok: false });
    expect(rejectedCount(await scrape(t), 'type_conflict')).toBe(1);
  });
});
