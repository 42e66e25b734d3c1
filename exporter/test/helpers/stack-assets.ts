import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

/** The repository root (exporter/test/helpers → ../../..). */
export const REPO_ROOT = path.resolve(__dirname, '../../..');

export const repoPath = (...p: string[]): string => path.join(REPO_ROOT, ...p);

export const ALERT_RULES_FILE = repoPath('alerts', 'lookout-rules.yml');
export const ALERTMANAGER_FILE = repoPath('alerts', 'alertmanager.yml');
export const PROMETHEUS_FILE = repoPath('alerts', 'prometheus.yml');
export const RUNBOOK_URL_PREFIX = 'https://github.com/lookout-dev/lookout/blob/main/';

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleFile {
  groups: { name: string; rules: AlertRule[] }[];
}

export function loadRuleFile(file = ALERT_RULES_FILE): RuleFile {
  return YAML.parse(fs.readFileSync(file, 'utf8')) as RuleFile;
}

export function alertRules(file = ALERT_RULES_FILE): AlertRule[] {
  return loadRuleFile(file).groups.flatMap((g) => g.rules);
}

/** Maps an alert's runbook_url (repository URL or relative doc path) to a file in the repository. */
export function runbookFile(url: string): string {
  const rel = url.startsWith(RUNBOOK_URL_PREFIX) ? url.slice(RUNBOOK_URL_PREFIX.length) : url.replace(/^\/+/, '');
  return repoPath(rel.split('#')[0]!);
}

export interface DashboardTarget {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: DashboardTarget[];
  panels?: DashboardPanel[];
  options?: Record<string, unknown>;
}

export interface Dashboard {
  uid: string;
  title: string;
  tags: string[];
  panels: DashboardPanel[];
  links: { type: string; url?: string; tags?: string[]; title: string }[];
  annotations: {
    list: {
      name: string;
      expr?: string;
      datasource?: { type?: string; uid?: string };
      /** A Lookout events annotation's query: a feed, kinds (comma-separated) and a minimum severity. */
      target?: { feed?: string; kinds?: string; minSeverity?: string };
    }[];
  };
  templating: {
    list: {
      name: string;
      type: string;
      query?: unknown;
      definition?: string;
      datasource?: { type?: string; uid?: string };
    }[];
  };
}

export function dashboardFiles(): string[] {
  return fs
    .readdirSync(repoPath('dashboards'))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => repoPath('dashboards', f));
}

export function loadDashboards(): Dashboard[] {
  return dashboardFiles().map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as Dashboard);
}

/** Every panel, rows and their nested panels included. */
export function allPanels(d: Dashboard): DashboardPanel[] {
  const out: DashboardPanel[] = [];
  const visit = (ps: DashboardPanel[]): void => {
    for (const p of ps) {
      out.push(p);
      if (p.panels) visit(p.panels);
    }
  };
  visit(d.panels);
  return out;
}

export interface LocatedExpr {
  where: string;
  expr: string;
}

/** Every PromQL expression of a dashboard: panel targets, annotations, and the variable's metric. */
export function dashboardExprs(d: Dashboard): LocatedExpr[] {
  const out: LocatedExpr[] = [];
  for (const p of allPanels(d)) {
    for (const t of p.targets ?? []) {
      if (t.expr) out.push({ where: `${d.uid} panel ${p.id} "${p.title}" ${t.refId ?? ''}`.trim(), expr: t.expr });
    }
  }
  for (const a of d.annotations.list) if (a.expr) out.push({ where: `${d.uid} annotation "${a.name}"`, expr: a.expr });
  for (const v of d.templating.list) {
    const def = v.definition ?? '';
    // label_values(metric_selector, label) is Grafana's, not PromQL: check its selector.
    const m = /^label_values\((.+),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$/.exec(def);
    if (m) out.push({ where: `${d.uid} variable $${v.name}`, expr: m[1]! });
    else if (def) out.push({ where: `${d.uid} variable $${v.name}`, expr: def });
  }
  return out;
}

/**
 * Replaces Grafana's template variables with what Grafana would send to Prometheus so the
 * expression can be parsed by promtool: `$node` (multi-value, regex) → `.*`, intervals → `1m`.
 */
export function substituteGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, '1m')
    .replace(/\$__interval|\$\{__interval\}/g, '1m')
    .replace(/\$__range|\$\{__range\}/g, '1h')
    .replace(/\$\{?node(?::[a-z]+)?\}?/g, '.*');
}

const METRIC_RE = /\b((?:lookout|process|nodejs)_[a-zA-Z0-9_]*)\b/g;

/** Metric names an expression uses; histogram `_bucket`/`_sum`/`_count` series map to their family. */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  // Label values and strings can look like metric names: drop quoted parts first.
  const unquoted = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const m of unquoted.matchAll(METRIC_RE)) names.add(m[1]!.replace(/_(bucket|sum|count)$/, ''));
  return [...names].sort();
}

/** Names listed in a docs table as `name` in the first column. */
export function documentedMetrics(): Set<string> {
  const text = fs.readFileSync(repoPath('docs', 'metrics.md'), 'utf8');
  const out = new Set<string>();
  for (const m of text.matchAll(/^\|\s*`([a-z_][a-z0-9_]*)`\s*\|/gm)) out.add(m[1]!);
  return out;
}

export function readYaml<T>(file: string): T {
  return YAML.parse(fs.readFileSync(file, 'utf8')) as T;
}
