import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { BINARIES, type ManagedProcess, alertmanagerAlerts, hasBinary, startAlertmanager } from '../helpers/prometheus';
import { TOKENS, type TestSidecar, startTestSidecar, tempDir } from '../helpers/sidecar';
import { fastRoutes, shippedAlertmanagerConfig, startAlertingPrometheus, writeTelemetry } from '../helpers/alerting';
import { waitFor } from '../helpers/wait';

/**
 * The Alertmanager loop with real parts: the sidecar's /metrics → the real Prometheus evaluating the
 * shipped rules → the real Alertmanager routing with the shipped alertmanager.yml → the sidecar's own
 * webhook (authenticated with its alertmanager token from a credentials file, as shipped) → an incident
 * that opens, and resolves when the alert does.
 *
 * Test copies, and only these changes: every rule `for` becomes 1s; the lookout-sidecar receiver's URL and
 * credentials file point at this sidecar and a temp file; grouping waits become 1s.
 */
const NODE = 'loop-node';

if (![BINARIES.prometheus, BINARIES.alertmanager].every(hasBinary))
  throw new Error(
    'prometheus and prometheus-alertmanager are required: apt-get install -y prometheus prometheus-alertmanager'
  );

interface IncidentView {
  id: string;
  rule: string;
  status: string;
  severity: string;
  resolved_by: string | null;
  data: { alert?: { labels: Record<string, string>; fingerprint: string }; runbook?: string };
}

describe('Prometheus → Alertmanager → the sidecar webhook', () => {
  const dir = tempDir('am-loop');
  let t: TestSidecar;
  let am: ManagedProcess;
  let prom: ManagedProcess;

  const incidents = async (): Promise<IncidentView[]> =>
    ((await t.call('GET', '/api/v1/incidents', { as: 'viewer' })).body as { items: IncidentView[] }).items;

  beforeAll(async () => {
    t = await startTestSidecar({ overrides: { node: NODE, http: { metrics_public: true } } });
    writeTelemetry(t.workspace, { drift_score: 0.05, policy_confidence: 0.9, state_active: 1 });
    const tokenFile = path.join(dir, 'lookout-token');
    fs.writeFileSync(tokenFile, TOKENS.alertmanager, { mode: 0o600 });

    const cfg = shippedAlertmanagerConfig();
    const sidecarReceiver = cfg.receivers.find((r) => r.name === 'lookout-sidecar')!;
    const hook = sidecarReceiver.webhook_configs![0]!;
    // The shipped receiver, re-pointed: same path, same Bearer scheme from a credentials file.
    expect(new URL(hook.url).pathname).toBe('/api/v1/alertmanager/webhook');
    expect(hook.http_config?.authorization?.type).toBe('Bearer');
    hook.url = `${t.url}/api/v1/alertmanager/webhook`;
    hook.http_config!.authorization!.credentials_file = tokenFile;
    fastRoutes(cfg.route);
    am = await startAlertmanager(path.join(dir, 'am'), YAML.stringify(cfg));

    prom = await startAlertingPrometheus(path.join(dir, 'prom'), am.url, [{ url: t.url, node: NODE }]);
  }, 90_000);

  afterAll(async () => {
    await prom?.stop();
    await am?.stop();
    await t?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    for (const d of [t?.dataDir, t?.workspace]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it('a firing alert opens an incident in the sidecar; when it resolves, so does the incident', async () => {
    writeTelemetry(t.workspace, { drift_score: 0.95 });
    const opened = await waitFor(
      async () => (await incidents()).find((i) => i.rule === 'alertmanager:LookoutDriftHigh'),
      60_000,
      200
    );
    expect(opened).toMatchObject({ status: 'open', severity: 'warning' });
    expect(opened.data.alert!.labels).toMatchObject({
      alertname: 'LookoutDriftHigh',
      node: NODE,
      component: 'workload',
    });
    expect(opened.data.runbook).toMatch(/docs\/runbooks\/lookout-drift-high\.md$/);
    const audit = t.sidecar.control.audit.query({ action: 'alertmanager.webhook', limit: 5 });
    expect(audit[0]).toMatchObject({ actor: 'alertmanager', token: 'alertmanager', status: 200 });

    // The open incident makes LookoutIncidentOpen fire; Alertmanager routes it to chat only, never back
    // to the sidecar (an incident about an incident would hold itself open).
    const echo = await waitFor(
      async () => (await alertmanagerAlerts(am)).find((a) => a.labels['alertname'] === 'LookoutIncidentOpen'),
      60_000,
      200
    );
    expect(echo.receivers.map((r) => r.name)).toEqual(['lookout-chat']);

    writeTelemetry(t.workspace, { drift_score: 0.05 });
    const resolved = await waitFor(
      async () => (await incidents()).find((i) => i.id === opened.id && i.status === 'resolved'),
      60_000,
      200
    );
    expect(resolved.resolved_by).toBe('alertmanager');
    // One incident for one firing episode, however many notifications Alertmanager sent.
    expect((await incidents()).filter((i) => i.rule === 'alertmanager:LookoutDriftHigh')).toHaveLength(1);
    expect((await incidents()).filter((i) => i.rule === 'alertmanager:LookoutIncidentOpen')).toEqual([]);
  }, 120_000);
});
