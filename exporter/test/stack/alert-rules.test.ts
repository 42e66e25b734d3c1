import fs from 'node:fs';
import path from 'node:path';
import {
  ALERTMANAGER_FILE,
  ALERT_RULES_FILE,
  PROMETHEUS_FILE,
  alertRules,
  loadDashboards,
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
];
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

  it('each have a runbook file in docs/runbooks/, and every runbook belongs to an alert', () => {
    const rules = alertRules();
    const linked = new Set<string>();
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

  it.each(Object.entries(RECEIVER_BY_SEVERITY))('routes %s alerts to %s', async (severity, receiver) => {
    const r = await runTool(BINARIES.amtool, [
      'config',
      'routes',
      'test',
      `--config.file=${ALERTMANAGER_FILE}`,
      `severity=${severity}`,
      'alertname=LookoutSomething',
      'node=n1',
    ]);
    expect(r.stdout.trim()).toBe(receiver);
  });

  it('routes every rule to the receiver of its severity', async () => {
    for (const rule of alertRules()) {
      const r = await runTool(BINARIES.amtool, [
        'config',
        'routes',
        'test',
        `--config.file=${ALERTMANAGER_FILE}`,
        `alertname=${rule.alert}`,
        ...Object.entries(rule.labels).map(([k, v]) => `${k}=${v}`),
      ]);
      expect([rule.alert, r.stdout.trim()]).toEqual([rule.alert, RECEIVER_BY_SEVERITY[rule.labels.severity!]]);
    }
  });
});

describe('prometheus.yml of the compose stack', () => {
  it('passes promtool check config', async () => {
    const r = await runTool(BINARIES.promtool, ['check', 'config', '--syntax-only', PROMETHEUS_FILE]);
    expect({ code: r.code, out: r.stdout + r.stderr }).toEqual({ code: 0, out: expect.stringContaining('SUCCESS') });
  });
});
