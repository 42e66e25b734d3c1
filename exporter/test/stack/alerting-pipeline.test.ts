import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import YAML from 'yaml';
import { createSimulator } from '../../../examples/src';
import {
  BINARIES,
  type ManagedProcess,
  alertmanagerAlerts,
  hasBinary,
  prometheusAlerts,
  startAlertmanager,
} from '../helpers/prometheus';
import { type TestSidecar, makeWorkspace, startTestSidecar, tempDir } from '../helpers/sidecar';
import { fastRoutes, shippedAlertmanagerConfig, startAlertingPrometheus, writeTelemetry } from '../helpers/alerting';
import { waitFor } from '../helpers/wait';

/**
 * The whole alerting path with real parts: two sidecars (node-a, node-b) with the example workload
 * on node-a → the real Prometheus scrapes both and evaluates alerts/lookout-rules.yml → the real
 * Alertmanager routes with alerts/alertmanager.yml → a webhook receiver in this test.
 *
 * Test copies, and only these changes:
 *  - rules: every `for` becomes 1s (the shipped ones are minutes long; the unit tests in
 *    alerts/tests/ check the real durations);
 *  - alertmanager.yml: each receiver (the sidecar's included) gets a webhook to this test, and
 *    group_wait/group_interval become 1s; routes, matchers and inhibit rules are untouched;
 *  - Prometheus scrapes and evaluates every second.
 */
const NODE_A = 'node-a';
const NODE_B = 'node-b';

interface Notification {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
}

/** The shipped Alertmanager config with a webhook to this test on every receiver, and second-scale grouping. */
function testAlertmanagerConfig(webhookBase: string): string {
  const cfg = shippedAlertmanagerConfig();
  for (const r of cfg.receivers) r.webhook_configs = [{ url: `${webhookBase}/${r.name}`, send_resolved: true }];
  fastRoutes(cfg.route);
  return YAML.stringify(cfg);
}

const binariesPresent = [BINARIES.prometheus, BINARIES.alertmanager].every(hasBinary);
if (!binariesPresent)
  throw new Error(
    'prometheus and prometheus-alertmanager are required: apt-get install -y prometheus prometheus-alertmanager'
  );

describe('Prometheus → Alertmanager → webhook, with the shipped rules and routing', () => {
  const dir = tempDir('alerting');
  const notifications: Notification[] = [];
  let webhook: http.Server;
  let a: TestSidecar;
  let b: TestSidecar;
  let am: ManagedProcess;
  let prom: ManagedProcess;
  let stopSimulator = (): void => undefined;

  const delivered = (alertname: string, node: string, receiver?: string): Notification | undefined =>
    notifications.find(
      (n) =>
        n.status === 'firing' &&
        (!receiver || n.receiver === receiver) &&
        n.alerts.some((x) => x.status === 'firing' && x.labels['alertname'] === alertname && x.labels['node'] === node)
    );

  const resolved = (alertname: string, node: string): Notification | undefined =>
    notifications.find((n) =>
      n.alerts.some((x) => x.status === 'resolved' && x.labels['alertname'] === alertname && x.labels['node'] === node)
    );

  beforeAll(async () => {
    webhook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        notifications.push(JSON.parse(body) as Notification);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    const webhookBase = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}`;

    // node-a runs the example workload (it answers kill on the sidecar's bus); node-b is a bare
    // sidecar whose workload reports through a telemetry file.
    const workspaceA = makeWorkspace();
    a = await startTestSidecar({ workspace: workspaceA, overrides: { node: NODE_A, http: { metrics_public: true } } });
    const sim = createSimulator({ workspace: workspaceA, seed: 11, tickMs: 60_000, autopilot: false });
    sim.attachBus(a.sidecar.ctx.bus, NODE_A);
    sim.tick();
    stopSimulator = () => sim.stop();
    b = await startTestSidecar({ overrides: { node: NODE_B, http: { metrics_public: true } } });
    writeTelemetry(b.workspace, { drift_score: 0.05, policy_confidence: 0.9, state_active: 1 });

    am = await startAlertmanager(path.join(dir, 'am'), testAlertmanagerConfig(webhookBase));
    prom = await startAlertingPrometheus(path.join(dir, 'prom'), am.url, [
      { url: a.url, node: NODE_A },
      { url: b.url, node: NODE_B },
    ]);
    // Both sidecars scraped and their workload gauges present before anything is asserted.
    await waitFor(
      async () => {
        const res = await fetch(
          `${prom.url}/api/v1/query?query=${encodeURIComponent('count(lookout_workload_drift_score)')}`
        );
        const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
        return body.data.result[0]?.value[1] === '2';
      },
      30_000,
      200
    );
  }, 90_000);

  afterAll(async () => {
    stopSimulator();
    await prom?.stop();
    await am?.stop();
    await a?.stop();
    await b?.stop();
    await new Promise<void>((resolve) => (webhook ? webhook.close(() => resolve()) : resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
    for (const t of [a, b])
      for (const d of [t?.dataDir, t?.workspace]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it('engaging the kill switch through the control API pages through Alertmanager', async () => {
    const plan = await a.call('POST', '/api/v1/actions/kill/plan', { as: 'operator', body: {} });
    expect(plan.status).toBe(200);
    const apply = await a.call('POST', '/api/v1/actions/kill/apply', {
      as: 'operator',
      body: { plan_id: (plan.body as { plan_id: string }).plan_id, reason: 'stack test: halt node-a' },
      headers: { 'idempotency-key': 'stack-test-kill-node-a' },
    });
    expect(apply.status).toBe(202);

    const note = await waitFor(() => delivered('LookoutKillSwitchEngaged', NODE_A), 30_000, 100);
    expect(note.receiver).toBe('lookout-page');
    const alert = note.alerts.find((x) => x.labels['alertname'] === 'LookoutKillSwitchEngaged')!;
    expect(alert.labels).toMatchObject({ severity: 'critical', component: 'control', node: NODE_A });
    expect(alert.annotations['runbook_url']).toMatch(/docs\/runbooks\/lookout-kill-switch-engaged\.md$/);
    expect(delivered('LookoutKillSwitchEngaged', NODE_B)).toBeUndefined();
  });

  it('holds back a downstream alert of the halted node while the same alert of another node is delivered, and delivers it once released', async () => {
    await waitFor(() => delivered('LookoutKillSwitchEngaged', NODE_A), 30_000, 100);
    // Both workloads now report drift far above the threshold.
    writeTelemetry(a.workspace, { drift_score: 0.95 });
    writeTelemetry(b.workspace, { drift_score: 0.95 });

    // The same rule fires for both nodes in Prometheus…
    await waitFor(
      async () => {
        const firing = (await prometheusAlerts(prom)).filter(
          (x) => x.labels['alertname'] === 'LookoutDriftHigh' && x.state === 'firing'
        );
        return firing.length === 2;
      },
      30_000,
      200
    );
    // …node-b's is delivered to the chat receiver (and to the sidecar's webhook receiver)…
    const noteB = await waitFor(() => delivered('LookoutDriftHigh', NODE_B, 'lookout-chat'), 30_000, 100);
    expect(noteB.receiver).toBe('lookout-chat');

    // …and node-a's is held in Alertmanager, suppressed by the kill-switch alert of the same node.
    const suppressed = await waitFor(
      async () => {
        const alerts = await alertmanagerAlerts(am);
        const kill = alerts.find(
          (x) => x.labels['alertname'] === 'LookoutKillSwitchEngaged' && x.labels['node'] === NODE_A
        );
        const drift = alerts.find((x) => x.labels['alertname'] === 'LookoutDriftHigh' && x.labels['node'] === NODE_A);
        return kill && drift && drift.status.state === 'suppressed' ? { kill, drift } : undefined;
      },
      30_000,
      200
    );
    expect(suppressed.drift.status.inhibitedBy).toEqual([suppressed.kill.fingerprint]);

    // node-b's drift goes back to normal and its resolution is delivered: Alertmanager has flushed
    // its groups again since (every group on the same 1 s interval)…
    writeTelemetry(b.workspace, { drift_score: 0.05 });
    await waitFor(() => resolved('LookoutDriftHigh', NODE_B), 30_000, 100);
    // …and node-a's drift alert has still not been sent anywhere.
    expect(delivered('LookoutDriftHigh', NODE_A)).toBeUndefined();

    // Once node-a's kill switch is released, the same alert of node-a is delivered: the inhibition,
    // not a broken route, is what kept it back.
    const before = notifications.length;
    const plan = await a.call('POST', '/api/v1/actions/kill_release/plan', { as: 'admin', body: {} });
    expect(plan.status).toBe(200);
    const apply = await a.call('POST', '/api/v1/actions/kill_release/apply', {
      as: 'admin',
      body: { plan_id: (plan.body as { plan_id: string }).plan_id, reason: 'stack test: resume node-a' },
      headers: { 'idempotency-key': 'stack-test-release-node-a' },
    });
    expect(apply.status).toBe(202);
    await waitFor(async () => {
      const status = (await a.call('GET', '/api/v1/status', { as: 'viewer' })).body as {
        kill_switch: { engaged: boolean };
      };
      return !status.kill_switch.engaged;
    }, 30_000);
    // The released workload wrote its own (calm) snapshot; it drifts again.
    writeTelemetry(a.workspace, { drift_score: 0.95 });
    // (It goes to the sidecar's receiver too: every non-control alert does.)
    const note = await waitFor(() => delivered('LookoutDriftHigh', NODE_A, 'lookout-chat'), 30_000, 100);
    expect(notifications.indexOf(note)).toBeGreaterThanOrEqual(before);
    await waitFor(() => delivered('LookoutDriftHigh', NODE_A, 'lookout-sidecar'), 30_000, 100);
  });
});
