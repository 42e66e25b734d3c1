import fs from 'node:fs';
import path from 'node:path';
import { createSimulator } from '../../../examples/src';
import { BINARIES, hasBinary, runTool } from '../helpers/prometheus';
import { asGrafana, type TestSidecar, startTestSidecar } from '../helpers/sidecar';
import { alertRules, dashboardExprs, loadDashboards, metricNames } from '../helpers/stack-assets';
import { waitFor } from '../helpers/wait';

/**
 * The sidecar's real /metrics against what the dashboards and alerts query. The workload gauges
 * (`lookout_workload_<name>`) only exist once telemetry arrives, so the example simulator writes
 * its workspace first (lineage, telemetry, activity) and the sidecar ingests it; a kill action
 * through the control API exercises the action and kill-switch series.
 */
describe('the sidecar /metrics', () => {
  let t: TestSidecar;
  let metricsText: string;

  beforeAll(async () => {
    // One interval policy, so a tick makes a scheduler decision for the annotations to show.
    t = await startTestSidecar({
      overrides: { scheduler: { policies: [{ name: 'nightly', type: 'interval', every: 1, action: 'retrain' }] } },
    });
    const sim = createSimulator({ workspace: t.workspace, seed: 7, tickMs: 60_000, autopilot: false });
    sim.attachBus(t.sidecar.ctx.bus, t.sidecar.ctx.config.node);
    for (let i = 0; i < 3; i++) sim.tick();
    try {
      // Wait for the watcher to ingest telemetry and lineage.
      await waitFor(async () => {
        const r = await t.call('GET', '/metrics', { as: 'viewer' });
        const text = String(r.body);
        return /^lookout_workload_drift_score\{/m.test(text) && /^lookout_lineage_active_generation_info\{/m.test(text);
      }, 15_000);
      // A kill through the control API: actions, verification and kill-switch series get samples.
      const plan = await t.call('POST', '/api/v1/actions/kill/plan', { as: 'operator', body: {} });
      if (plan.status === 200) {
        const planId = (plan.body as { plan_id?: string; id?: string }).plan_id ?? (plan.body as { id: string }).id;
        await t.call('POST', '/api/v1/actions/kill/apply', {
          as: 'operator',
          body: { plan_id: planId, reason: 'metrics coverage test' },
          headers: { 'idempotency-key': 'metrics-coverage-kill' },
        });
      }
      // What the dashboards' annotations show besides actions and the kill: an incident, a decision, a pause.
      t.sidecar.control.incidents.open({
        rule: 'coverage',
        severity: 'warning',
        title: 'annotation coverage',
        actor: 'guardian',
        data: {},
      });
      t.sidecar.control.scheduler.tick(Date.now());
      t.sidecar.control.scheduler.tick(Date.now() + 10);
      await t.call('POST', '/api/v1/scheduler/pause', { as: 'operator', body: { reason: 'annotation coverage' } });
      await t.call('GET', '/api/v1/status', { as: 'viewer' });
      metricsText = String((await t.call('GET', '/metrics', { as: 'viewer' })).body);
    } finally {
      sim.stop();
    }
  });
  afterAll(async () => {
    await t?.stop();
    for (const d of [t?.dataDir, t?.workspace]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  const families = (): Map<string, string> => {
    const out = new Map<string, string>();
    for (const m of metricsText.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!);
    return out;
  };

  it('passes promtool check metrics', async () => {
    if (!hasBinary(BINARIES.promtool))
      throw new Error(`${BINARIES.promtool} is missing: apt-get install -y prometheus`);
    const r = await runTool(BINARIES.promtool, ['check', 'metrics'], { stdin: metricsText });
    // promtool lints naming; our own families must be clean. Left out: the runtime collectors (the
    // client library's) and lookout_workload_<name>, whose names the workload chooses (the example
    // workload's `venue_latency_ms` is a classic name kept on purpose; see docs/metrics.md).
    const ours = (r.stdout + r.stderr)
      .split('\n')
      .filter((l) => l.startsWith('lookout_') && !l.startsWith('lookout_workload_'));
    expect(ours).toEqual([]);
  });

  it("answers every dashboard annotation's query with the sidecar's own events, as a Grafana Viewer reads them", async () => {
    const viewer = asGrafana({ login: 'annotations', role: 'Viewer' });
    const seen: string[] = [];
    for (const d of loadDashboards()) {
      for (const a of d.annotations.list.filter((x) => x.target)) {
        const q = new URLSearchParams({ kind: a.target!.kinds ?? '', severity: a.target!.minSeverity ?? 'debug' });
        const r = await t.call('GET', `/api/v1/feeds/${a.target!.feed}?${q.toString()}`, viewer);
        const items = (r.body as { items?: { kind: string; actor: string | null }[] }).items ?? [];
        seen.push(`${d.uid} "${a.name}": ${r.status} ${items.length ? 'events' : 'none'}`);
        expect([d.uid, a.name, r.status, items.length > 0]).toEqual([d.uid, a.name, 200, true]);
      }
    }
    expect(seen.length).toBeGreaterThanOrEqual(16);
  });

  it('carries every lookout_ metric that a dashboard or an alert queries', () => {
    const have = families();
    const missing = new Set<string>();
    const where = new Map<string, string>();
    for (const d of loadDashboards()) {
      for (const e of dashboardExprs(d)) for (const m of metricNames(e.expr)) where.set(m, e.where);
    }
    for (const r of alertRules()) for (const m of metricNames(r.expr)) where.set(m, `alert ${r.alert}`);
    for (const m of where.keys()) if (!have.has(m)) missing.add(`${m} (${where.get(m)})`);
    expect([...missing].sort()).toEqual([]);
  });

  it('labels every lookout_ series with the node', () => {
    const unlabelled = metricsText
      .split('\n')
      .filter((l) => l.startsWith('lookout_') && !/[{,]node="test-node"/.test(l));
    expect(unlabelled).toEqual([]);
  });

  it('writes a fixture others can inspect when a coverage check fails', () => {
    // Kept as test output (never asserted against): the exposition this run saw.
    const out = path.join(__dirname, '..', '..', '..', 'test-output');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'sidecar-metrics.txt'), metricsText);
    expect(metricsText.length).toBeGreaterThan(0);
  });
});
