import fs from 'node:fs';
import path from 'node:path';
import {
  ALERTMANAGER_FILE,
  ALERT_RULES_FILE,
  PROMETHEUS_FILE,
  alertRules,
  loadDashboards,
  readYaml,
  repoPath,
  runbookFile,
} from '../helpers/stack-assets';
import { BINARIES, hasBinary, runTool } from '../helpers/prometheus';

const SEVERITIES = ['critical', 'warning', 'info'];
const RECEIVER_BY_SEVERITY: Record<string, string> = {
  critical: 'lookout-page',
  warning: 'lookout-chat',
  info: 'lookout-ticket',
};
/** The alerts the product promises (ARCHITECTURE §5, issue 6). */
const PROMISED_ALERTS = [
  'LookoutSidecarDown',
  'LookoutKillSwitchEngaged',
  'LookoutCriticalIncidentOpen',
  'LookoutDriftHigh',
  'LookoutPolicyConfidenceLow',
  'LookoutAgentHeartbeatMissing',
  'LookoutOutboxBacklog',
  'LookoutWatcherErrors',
  'LookoutDiagnosticsOverdue',
  // Issue 13.
  'LookoutTelemetryStale',
  'LookoutBusDisconnected',
  'LookoutOutboxBacklogGrowing',
  'LookoutActionsFailing',
  'LookoutHttpServerErrors',
  'LookoutStoreLarge',
  'LookoutWatchRootMissing',
  'LookoutTaskFailures',
  'LookoutIncidentOpen',
];
/** Alerts about the sidecar's own incidents and kill switch: never sent back to its webhook. */
const CONTROL = 'control';
/** Where Alertmanager delivers an alert with these labels, by the documented routing (docs/operations.md). */
const expectedReceivers = (labels: Record<string, string>): string =>
  [labels['component'] !== CONTROL ? 'lookout-sidecar' : null, RECEIVER_BY_SEVERITY[labels['severity']!]]
    .filter(Boolean)
    .join(',');
const ruleTestFiles = (): string[] =>
  fs
    .readdirSync(repoPath('alerts', 'tests'))
    .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
    .map((f) => repoPath('alerts', 'tests', f));

beforeAll(() => {
  for (const bin of [BINARIES.promtool, BINARIES.amtool]) {
    if (!hasBinary(bin)) throw new Error(`${bin} is missing: apt-get install -y prometheus prometheus-alertmanager`);
  }
});

describe('alert rules', () => {
  it('pass promtool check rules', async () => {
    const r = await runTool(BINARIES.promtool, ['check', 'rules', ALERT_RULES_FILE]);
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  it('pass their promtool unit tests (every alert fires when it should and stays quiet otherwise)', async () => {
    const files = ruleTestFiles();
    expect(files.length).toBeGreaterThan(0);
    const r = await runTool(BINARIES.promtool, ['test', 'rules', ...files]);
    expect({ code: r.code, out: r.stdout + r.stderr }).toEqual({ code: 0, out: expect.stringContaining('SUCCESS') });
  });

  it('include every promised alert', () => {
    expect(alertRules().map((r) => r.alert)).toEqual(expect.arrayContaining(PROMISED_ALERTS));
  });

  it('each carry severity, component, summary, description, runbook and dashboard links', () => {
    const dashboardUids = new Set(loadDashboards().map((d) => d.uid));
    for (const rule of alertRules()) {
      const ctx = `alert ${rule.alert}`;
      expect([ctx, SEVERITIES.includes(rule.labels.severity ?? '')]).toEqual([ctx, true]);
      expect([ctx, rule.labels.component]).toEqual([ctx, expect.stringMatching(/^[a-z]+$/)]);
      for (const key of ['summary', 'description', 'runbook_url', 'dashboard_url']) {
        expect([ctx, key, (rule.annotations[key] ?? '').length > 0]).toEqual([ctx, key, true]);
      }
      const dash = rule.annotations.dashboard_url!;
      const m = /^\/d\/([a-z0-9-]+)\//.exec(dash);
      if (m) expect([ctx, dashboardUids.has(m[1]!)]).toEqual([ctx, true]);
      else expect([ctx, dash]).toEqual([ctx, expect.stringMatching(/^\/a\/lookout-ops-app\/[a-z]+$/)]);
    }
  });

  it('each have a runbook file in docs/runbooks/, and every runbook belongs to an alert or a starter policy rule', () => {
    const rules = alertRules();
    const linked = new Set<string>();
    const starter = readYaml<{
      guardian: { rules: { runbook?: string }[] };
      scheduler: { policies: { runbook?: string }[] };
    }>(repoPath('policies', 'starter.yml'));
    for (const r of [...starter.guardian.rules, ...starter.scheduler.policies]) {
      if (r.runbook) linked.add(path.basename(runbookFile(r.runbook)));
    }
    for (const rule of rules) {
      const file = runbookFile(rule.annotations.runbook_url ?? '');
      linked.add(path.basename(file));
      expect([rule.alert, path.dirname(file)]).toEqual([rule.alert, repoPath('docs', 'runbooks')]);
      expect([rule.alert, fs.existsSync(file)]).toEqual([rule.alert, true]);
      // The runbook names its alert, so a renamed alert cannot keep a stale page.
      expect([rule.alert, fs.readFileSync(file, 'utf8').includes(rule.alert)]).toEqual([rule.alert, true]);
    }
    const pages = fs.readdirSync(repoPath('docs', 'runbooks')).filter((f) => f.endsWith('.md') && f !== 'README.md');
    expect(pages.filter((p) => !linked.has(p))).toEqual([]);
  });

  it('each have a promtool unit test case', () => {
    const tests = ruleTestFiles()
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('\n');
    const untested = alertRules()
      .map((r) => r.alert)
      .filter((a) => !new RegExp(`alertname: ${a}\\b`).test(tests));
    expect(untested).toEqual([]);
  });

  it('use a `for` that avoids flapping, except the latched kill switch', () => {
    for (const rule of alertRules()) {
      if (rule.alert === 'LookoutKillSwitchEngaged') expect(rule.for).toBeUndefined();
      else expect([rule.alert, rule.for]).toEqual([rule.alert, expect.stringMatching(/^\d+[mh]$/)]);
    }
  });
});

describe('alertmanager.yml', () => {
  it('passes amtool check-config', async () => {
    const r = await runTool(BINARIES.amtool, ['check-config', ALERTMANAGER_FILE]);
    expect({ code: r.code, out: r.stdout + r.stderr }).toEqual({ code: 0, out: expect.stringContaining('SUCCESS') });
  });

  it.each(Object.entries(RECEIVER_BY_SEVERITY))(
    'routes %s alerts to %s (and to the sidecar unless control)',
    async (severity, receiver) => {
      for (const component of ['workload', CONTROL]) {
        const r = await runTool(BINARIES.amtool, [
          'config',
          'routes',
          'test',
          `--config.file=${ALERTMANAGER_FILE}`,
          `severity=${severity}`,
          `component=${component}`,
          'alertname=LookoutSomething',
          'node=n1',
        ]);
        expect([component, r.stdout.trim()]).toEqual([
          component,
          component === CONTROL ? receiver : `lookout-sidecar,${receiver}`,
        ]);
      }
    }
  );

  it('has a sidecar receiver that posts to the webhook route with a Bearer credentials file and sends resolved', () => {
    const cfg = readYaml<{
      receivers: {
        name: string;
        webhook_configs?: { url: string; send_resolved?: boolean; http_config?: unknown }[];
      }[];
    }>(ALERTMANAGER_FILE);
    const hooks = cfg.receivers.find((r) => r.name === 'lookout-sidecar')?.webhook_configs ?? [];
    expect(hooks).toHaveLength(1);
    expect(new URL(hooks[0]!.url).pathname).toBe('/api/v1/alertmanager/webhook');
    expect(hooks[0]).toMatchObject({
      send_resolved: true,
      http_config: { authorization: { type: 'Bearer', credentials_file: expect.any(String) } },
    });
  });

  it('routes every rule to the receiver of its severity, and every non-control rule to the sidecar too', async () => {
    for (const rule of alertRules()) {
      const r = await runTool(BINARIES.amtool, [
        'config',
        'routes',
        'test',
        `--config.file=${ALERTMANAGER_FILE}`,
        `alertname=${rule.alert}`,
        ...Object.entries(rule.labels).map(([k, v]) => `${k}=${v}`),
      ]);
      expect([rule.alert, r.stdout.trim()]).toEqual([rule.alert, expectedReceivers(rule.labels)]);
    }
  });
});

describe('prometheus.yml of the compose stack', () => {
  it('passes promtool check config', async () => {
    const r = await runTool(BINARIES.promtool, ['check', 'config', '--syntax-only', PROMETHEUS_FILE]);
    expect({ code: r.code, out: r.stdout + r.stderr }).toEqual({ code: 0, out: expect.stringContaining('SUCCESS') });
  });
});
