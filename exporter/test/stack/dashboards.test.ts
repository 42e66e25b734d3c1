import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import {
  alertRules,
  allPanels,
  dashboardExprs,
  documentedMetrics,
  loadDashboards,
  metricNames,
  readYaml,
  repoPath,
  substituteGrafanaVariables,
} from '../helpers/stack-assets';
import { BINARIES, hasBinary, runTool } from '../helpers/prometheus';

/** Grafana core panel types the dashboards may use (all ship with Grafana 12.4). */
const CORE_PANEL_TYPES = [
  'row',
  'stat',
  'gauge',
  'bargauge',
  'timeseries',
  'table',
  'heatmap',
  'text',
  'state-timeline',
];
/** Our panel plugins (grafana-plugins/src/panels/*). */
const LOOKOUT_PANEL_TYPES = [
  'lookout-lineage-panel',
  'lookout-gallery-panel',
  'lookout-feed-panel',
  'lookout-actions-panel',
];
const STABLE_UIDS = ['lookout-agents', 'lookout-diagnostics', 'lookout-overview', 'lookout-sidecar'];
const APP_PAGES = ['overview', 'incidents', 'agents', 'lineage', 'audit', 'diagnostics'];

interface DatasourcesFile {
  apiVersion: number;
  datasources: { uid: string; type: string; url: string }[];
}

const provisionedDatasources = (): DatasourcesFile['datasources'] =>
  readYaml<DatasourcesFile>(repoPath('provisioning', 'datasources', 'lookout.yml')).datasources;

describe('dashboards', () => {
  const dashboards = loadDashboards();

  it('have the stable uids, file names that match them, and the lookout tag', () => {
    expect(dashboards.map((d) => d.uid).sort()).toEqual(STABLE_UIDS);
    for (const uid of STABLE_UIDS) expect(fs.existsSync(repoPath('dashboards', `${uid}.json`))).toBe(true);
    for (const d of dashboards) expect(d.tags).toContain('lookout');
  });

  it('use only Grafana core panel types and the four Lookout panels', () => {
    const allowed = new Set([...CORE_PANEL_TYPES, ...LOOKOUT_PANEL_TYPES]);
    const used = dashboards.flatMap((d) => allPanels(d).map((p) => `${d.uid}:${p.type}`));
    expect(used.filter((u) => !allowed.has(u.split(':')[1]!))).toEqual([]);
    // The panel ids exist in the plugin sources.
    const pluginIds = fs
      .readdirSync(repoPath('grafana-plugins', 'src', 'panels'))
      .map((dir) => repoPath('grafana-plugins', 'src', 'panels', dir, 'plugin.json'))
      .filter((f) => fs.existsSync(f))
      .map((f) => (JSON.parse(fs.readFileSync(f, 'utf8')) as { id: string }).id);
    expect(pluginIds.sort()).toEqual([...LOOKOUT_PANEL_TYPES].sort());
  });

  it('show the overview panels the product promises', () => {
    const overview = dashboards.find((d) => d.uid === 'lookout-overview')!;
    const types = allPanels(overview).map((p) => p.type);
    expect(types).toEqual(expect.arrayContaining([...LOOKOUT_PANEL_TYPES, 'gauge', 'heatmap', 'stat', 'timeseries']));
    const feeds = allPanels(overview)
      .filter((p) => p.type === 'lookout-feed-panel')
      .flatMap((p) => (p.options?.['feeds'] as string[] | undefined) ?? []);
    expect(feeds).toEqual(expect.arrayContaining(['scheduler', 'guardian']));
  });

  it('refer only to datasource uids that the provisioning defines', () => {
    const uids = new Set(provisionedDatasources().map((d) => d.uid));
    const refs: string[] = [];
    for (const d of dashboards) {
      for (const p of allPanels(d)) {
        if (p.datasource?.uid) refs.push(p.datasource.uid);
        for (const t of p.targets ?? []) if (t.datasource?.uid) refs.push(t.datasource.uid);
      }
      for (const a of d.annotations.list)
        if (a.datasource?.uid && a.datasource.type !== 'grafana') refs.push(a.datasource.uid);
      for (const v of d.templating.list) if (v.datasource?.uid) refs.push(v.datasource.uid);
    }
    expect(refs.length).toBeGreaterThan(0);
    expect([...new Set(refs)].filter((u) => !uids.has(u))).toEqual([]);
  });

  it('have a node variable from lookout_build_info and filter every lookout query by it', () => {
    for (const d of dashboards) {
      const node = d.templating.list.find((v) => v.name === 'node');
      expect([d.uid, node?.definition]).toEqual([d.uid, 'label_values(lookout_build_info, node)']);
      for (const e of dashboardExprs(d)) {
        if (e.where.includes('variable')) continue;
        expect([e.where, e.expr]).toEqual([e.where, expect.stringContaining('node=~"$node"')]);
      }
    }
  });

  it('annotate actions, incidents, kills and scheduler decisions from the sidecar events, with who, what and why', () => {
    // Every annotation besides Grafana's own reads the Lookout events datasource (the app's nested plugin,
    // provisioned with a fixed uid), whose markers carry the actor and the reason; the queries themselves are
    // run against a real sidecar in metrics-coverage.test.ts.
    const datasourcePlugin = JSON.parse(
      fs.readFileSync(repoPath('grafana-plugins', 'src', 'datasources', 'events', 'plugin.json'), 'utf8')
    ) as { id: string; annotations: boolean };
    expect(datasourcePlugin).toMatchObject({ id: 'lookout-events-datasource', annotations: true });
    const provisioned = provisionedDatasources().find((d) => d.type === datasourcePlugin.id);
    expect(provisioned?.uid).toBe('lookout-events');
    for (const d of dashboards) {
      const ours = d.annotations.list.filter((a) => a.datasource?.type !== 'grafana');
      expect([d.uid, ours.map((a) => a.datasource)]).toEqual([
        d.uid,
        ours.map(() => ({ type: datasourcePlugin.id, uid: 'lookout-events' })),
      ]);
      const kinds = ours.map((a) => a.target?.kinds ?? '').join(',');
      for (const k of ['action.applied', 'incident.*', 'kill_switch.*', 'decision.made'])
        expect([d.uid, kinds.split(',')]).toEqual([d.uid, expect.arrayContaining([k])]);
    }
  });

  it('link to each other and to every app page', () => {
    for (const d of dashboards) {
      expect(d.links).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'dashboards', tags: ['lookout'] })])
      );
      const urls = d.links.map((l) => l.url);
      for (const page of APP_PAGES)
        expect([d.uid, urls]).toEqual([d.uid, expect.arrayContaining([`/a/lookout-ops-app/${page}`])]);
    }
  });
});

describe('PromQL in dashboards and alerts', () => {
  let dir: string;
  beforeAll(() => {
    if (!hasBinary(BINARIES.promtool))
      throw new Error(`${BINARIES.promtool} is missing: apt-get install -y prometheus`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-promql-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is parsed by the real Prometheus (each dashboard expression checked as a recording rule)', async () => {
    const groups = loadDashboards().map((d) => ({
      name: d.uid,
      rules: dashboardExprs(d).map((e, i) => ({
        record: `lookout_dashboard_check:${d.uid.replace(/-/g, '_')}:${i}`,
        expr: substituteGrafanaVariables(e.expr),
      })),
    }));
    expect(groups.flatMap((g) => g.rules).length).toBeGreaterThan(40);
    const file = path.join(dir, 'dashboard-exprs.yml');
    fs.writeFileSync(file, YAML.stringify({ groups }));
    const r = await runTool(BINARIES.promtool, ['check', 'rules', file]);
    expect({ code: r.code, out: r.stdout + r.stderr }).toEqual({ code: 0, out: expect.stringContaining('SUCCESS') });
  });

  it('leaves no Grafana variable unsubstituted, so the check above really parses every expression', () => {
    for (const d of loadDashboards()) {
      for (const e of dashboardExprs(d))
        expect([e.where, substituteGrafanaVariables(e.expr)]).not.toEqual([e.where, expect.stringContaining('$')]);
    }
  });

  it('uses only metrics documented in docs/metrics.md', () => {
    const documented = documentedMetrics();
    const used = new Map<string, string>();
    for (const d of loadDashboards())
      for (const e of dashboardExprs(d)) for (const m of metricNames(e.expr)) used.set(m, e.where);
    for (const r of alertRules()) for (const m of metricNames(r.expr)) used.set(m, `alert ${r.alert}`);
    const undocumented = [...used]
      .filter(([m]) => m.startsWith('lookout_') && !documented.has(m))
      .map(([m, where]) => `${m} (${where})`);
    expect(undocumented).toEqual([]);
  });
});

describe('provisioning', () => {
  it('defines the Prometheus and Alertmanager datasources with fixed uids', () => {
    const file = readYaml<DatasourcesFile>(repoPath('provisioning', 'datasources', 'lookout.yml'));
    expect(file.apiVersion).toBe(1);
    expect(file.datasources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ uid: 'lookout-prometheus', type: 'prometheus' }),
        expect.objectContaining({ uid: 'lookout-alertmanager', type: 'alertmanager' }),
      ])
    );
  });

  it('enables the app with the sidecar URL and token taken from the environment', () => {
    const file = readYaml<{
      apiVersion: number;
      apps: {
        type: string;
        disabled: boolean;
        jsonData: Record<string, string>;
        secureJsonData: Record<string, string>;
      }[];
    }>(repoPath('provisioning', 'plugins', 'lookout-ops-app.yml'));
    expect(file.apiVersion).toBe(1);
    const app = file.apps.find((a) => a.type === 'lookout-ops-app');
    expect(app).toMatchObject({ disabled: false });
    expect(app?.jsonData['sidecarUrl']).toMatch(/^\$\{?[A-Z_]+\}?$/);
    expect(app?.secureJsonData['sidecarToken']).toMatch(/^\$\{?LOOKOUT_GRAFANA_TOKEN\}?$/);
  });

  it('points the dashboards provider at the folder docker-compose mounts dashboards/ into', () => {
    const file = readYaml<{ apiVersion: number; providers: { type: string; options: { path: string } }[] }>(
      repoPath('provisioning', 'dashboards', 'lookout.yml')
    );
    expect(file.apiVersion).toBe(1);
    const compose = fs.readFileSync(repoPath('docker-compose.yml'), 'utf8');
    for (const p of file.providers) {
      expect(p.type).toBe('file');
      expect(compose).toContain(`./dashboards:${p.options.path}:ro`);
    }
  });
});
