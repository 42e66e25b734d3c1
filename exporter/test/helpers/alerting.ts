import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { type ManagedProcess, startPrometheus } from './prometheus';
import { ALERTMANAGER_FILE, loadRuleFile } from './stack-assets';

export interface RouteConfig {
  receiver?: string;
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: RouteConfig[];
}

export interface ReceiverConfig {
  name: string;
  webhook_configs?: {
    url: string;
    send_resolved?: boolean;
    http_config?: { authorization?: { type?: string; credentials?: string; credentials_file?: string } };
  }[];
}

export interface AlertmanagerConfig {
  route: RouteConfig;
  receivers: ReceiverConfig[];
  inhibit_rules: unknown[];
}

/** Second-scale grouping on every route (the shipped ones wait tens of seconds to minutes). */
export function fastRoutes(route: RouteConfig): void {
  route.group_wait = '1s';
  route.group_interval = '1s';
  for (const r of route.routes ?? []) fastRoutes(r);
}

/** The shipped alertmanager.yml, parsed, for a test to point its receivers somewhere and speed up. */
export function shippedAlertmanagerConfig(): AlertmanagerConfig {
  return YAML.parse(fs.readFileSync(ALERTMANAGER_FILE, 'utf8')) as AlertmanagerConfig;
}

/** The shipped rules with every `for` shortened (the promtool unit tests check the real durations). */
export function fastRules(forDuration = '1s'): string {
  const file = loadRuleFile();
  for (const g of file.groups) for (const r of g.rules) if (r.for !== undefined) r.for = forDuration;
  return YAML.stringify(file);
}

/** Writes a telemetry snapshot the way a workload does: merged into the last one, renamed into place. */
export function writeTelemetry(workspace: string, metrics: Record<string, number>): void {
  const file = path.join(workspace, 'telemetry', 'snapshot.json');
  let previous: { metrics?: Record<string, number>; labels?: Record<string, string> } = {};
  try {
    previous = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof previous;
  } catch {
    // first snapshot
  }
  const snapshot = {
    ts: new Date().toISOString(),
    metrics: { ...previous.metrics, ...metrics },
    labels: previous.labels ?? {},
  };
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(snapshot));
  fs.renameSync(`${file}.tmp`, file);
}

/**
 * The real Prometheus in `dir`, scraping and evaluating every second with the shipped rules (`for` shortened,
 * see fastRules), sending alerts to `alertmanagerUrl`, with one `lookout-exporter` target per sidecar and its
 * `node` label (as alerts/prometheus.yml sets it).
 */
export async function startAlertingPrometheus(
  dir: string,
  alertmanagerUrl: string,
  sidecars: { url: string; node: string }[]
): Promise<ManagedProcess> {
  fs.mkdirSync(dir, { recursive: true });
  const rulesFile = path.join(dir, 'lookout-rules.yml');
  fs.writeFileSync(rulesFile, fastRules());
  return startPrometheus(
    dir,
    YAML.stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [rulesFile],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [new URL(alertmanagerUrl).host] }] }] },
      scrape_configs: [
        {
          job_name: 'lookout-exporter',
          honor_labels: true,
          static_configs: sidecars.map((s) => ({ targets: [new URL(s.url).host], labels: { node: s.node } })),
        },
      ],
    })
  );
}
