import fs from 'node:fs';
import YAML from 'yaml';
import { BINARIES, hasBinary, runTool } from '../helpers/prometheus';
import { REPO_ROOT, repoPath } from '../helpers/stack-assets';

/** Every plugin the app ships: the app and its nested panels and datasource (each a plugin.json under src/). */
function pluginIds(dir = repoPath('grafana-plugins', 'src')): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...pluginIds(p));
    else if (e.name === 'plugin.json') out.push((JSON.parse(fs.readFileSync(p, 'utf8')) as { id: string }).id);
  }
  return out;
}
const LOOKOUT_PLUGIN_IDS = pluginIds();
const SERVICES = ['nats', 'exporter', 'workload', 'prometheus', 'alertmanager', 'grafana'];

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[] | string;
  environment?: Record<string, string | null>;
  volumes?: (string | { source: string; target: string; type: string })[];
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }> | string[];
}

// docker-compose 1.29 (Debian 12) is a real Compose parser and validates without a Docker engine.
const composeAvailable = hasBinary(BINARIES.dockerCompose);
const describeCompose = composeAvailable ? describe : describe.skip;
if (!composeAvailable) {
  console.warn(
    `SKIPPED docker-compose checks: ${BINARIES.dockerCompose} is missing (apt-get install -y docker-compose)`
  );
}

describeCompose('docker-compose.yml', () => {
  let services: Record<string, ComposeService>;

  beforeAll(async () => {
    const r = await runTool(BINARIES.dockerCompose, ['-f', 'docker-compose.yml', 'config'], { cwd: REPO_ROOT });
    if (r.code !== 0) throw new Error(`docker-compose config failed:\n${r.stderr}`);
    services = (YAML.parse(r.stdout) as { services: Record<string, ComposeService> }).services;
  });

  it('passes `docker-compose config -q`', async () => {
    const r = await runTool(BINARIES.dockerCompose, ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: REPO_ROOT });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('runs nats, exporter, workload, prometheus, alertmanager and grafana, each with a healthcheck', () => {
    expect(Object.keys(services).sort()).toEqual([...SERVICES].sort());
    for (const name of SERVICES) expect([name, services[name]!.healthcheck?.test]).toEqual([name, expect.anything()]);
  });

  it('starts each service only after what it needs is healthy', () => {
    const needs: Record<string, string[]> = {
      exporter: ['nats'],
      workload: ['exporter'],
      prometheus: ['exporter', 'alertmanager'],
      grafana: ['prometheus', 'alertmanager', 'exporter'],
    };
    for (const [svc, deps] of Object.entries(needs)) {
      const dependsOn = services[svc]!.depends_on as Record<string, { condition: string }>;
      for (const dep of deps) expect([svc, dep, dependsOn[dep]?.condition]).toEqual([svc, dep, 'service_healthy']);
    }
  });

  it('runs NATS with JetStream', () => {
    expect(JSON.stringify(services['nats']!.command)).toContain('--jetstream');
  });

  it('builds the exporter and the workload from exporter/Dockerfile and points the workload at the simulator', () => {
    for (const svc of ['exporter', 'workload']) {
      expect(services[svc]!.build).toMatchObject({ dockerfile: 'exporter/Dockerfile' });
    }
    expect(JSON.stringify(services['workload']!.command)).toContain('examples/dist/cli.js');
  });

  it('pins Grafana to a 12.4 release, allows only our unsigned plugins and does not rely on the user header', () => {
    const g = services['grafana']!;
    expect(g.image).toMatch(/^grafana\/grafana:12\.4\.\d+$/);
    const allowed = String(g.environment?.['GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS']).split(',');
    expect(LOOKOUT_PLUGIN_IDS).toEqual(expect.arrayContaining(['lookout-ops-app', 'lookout-events-datasource']));
    expect(allowed.sort()).toEqual([...LOOKOUT_PLUGIN_IDS].sort());
    expect(g.environment?.['GF_DATAPROXY_SEND_USER_HEADER']).toBeUndefined();
    const volumes = JSON.stringify(g.volumes);
    for (const target of [
      '/etc/grafana/provisioning',
      '/var/lib/grafana/dashboards/lookout',
      '/var/lib/grafana/plugins/lookout-ops-app',
    ]) {
      expect(volumes).toContain(target);
    }
    expect(volumes).toContain('grafana-plugins/dist');
  });

  it('gives Grafana a grafana delegation token, the one its app provisioning injects', () => {
    const tokens = String(services['exporter']!.environment?.['LOOKOUT_TOKENS']).split(',');
    const grafanaSecret = services['grafana']!.environment?.['LOOKOUT_GRAFANA_TOKEN'];
    const held = tokens.map((t) => t.split(':')).find(([, , secret]) => secret === grafanaSecret);
    expect(held?.[1]).toBe('grafana');
    const app = fs.readFileSync(repoPath('provisioning/plugins/lookout-ops-app.yml'), 'utf8');
    expect(app).toContain('sidecarToken: ${LOOKOUT_GRAFANA_TOKEN}');
  });

  it('mounts the alert rules into Prometheus and the routing into Alertmanager', () => {
    expect(JSON.stringify(services['prometheus']!.volumes)).toContain('alerts/lookout-rules.yml');
    expect(JSON.stringify(services['alertmanager']!.volumes)).toContain('alerts/alertmanager.yml');
  });

  it('runs the sidecar on the starter policy, from a mounted folder, and the workload without autopilot', () => {
    const exporter = services['exporter']!;
    const file = String(exporter.environment?.['LOOKOUT_POLICY_FILE']);
    expect(file).toMatch(/\/starter\.yml$/);
    const mount = (exporter.volumes ?? [])
      .map((v) => (typeof v === 'string' ? v.split(':') : [v.source, v.target]))
      .find(([, target]) => target && file.startsWith(`${target}/`));
    // A folder: edits saved by rename on the host reach the container (a single-file mount would not).
    expect(mount && fs.statSync(mount[0]!).isDirectory()).toBe(true);
    expect(fs.existsSync(`${mount![0]}${file.slice(mount![1]!.length)}`)).toBe(true);
    expect(JSON.stringify(services['workload']!.command)).toContain('--no-autopilot');
  });

  it('gives Alertmanager the token the sidecar accepts for its webhook, where alertmanager.yml reads it', () => {
    const tokens = String(services['exporter']!.environment?.['LOOKOUT_TOKENS']).split(',');
    const amToken = tokens.map((t) => t.split(':')).find(([, role]) => role === 'alertmanager');
    expect(amToken).toBeDefined();
    const am = services['alertmanager']!;
    expect(am.environment?.['LOOKOUT_ALERTMANAGER_TOKEN']).toBe(amToken!.slice(2).join(':'));
    const cfg = YAML.parse(fs.readFileSync(repoPath('alerts', 'alertmanager.yml'), 'utf8')) as {
      receivers: {
        name: string;
        webhook_configs?: { url: string; http_config: { authorization: { credentials_file: string } } }[];
      }[];
    };
    const hook = cfg.receivers.find((r) => r.name === 'lookout-sidecar')!.webhook_configs![0]!;
    expect(new URL(hook.url).host).toBe('exporter:9469');
    expect(JSON.stringify(am.command)).toContain(`> ${hook.http_config.authorization.credentials_file}`);
  });

  it('mounts only files that exist in the repository (the plugin build output aside)', () => {
    const missing: string[] = [];
    for (const [name, svc] of Object.entries(services)) {
      for (const v of svc.volumes ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0]! : v.type === 'bind' ? v.source : '';
        if (!source.startsWith('/') || source.endsWith('grafana-plugins/dist')) continue;
        if (!fs.existsSync(source)) missing.push(`${name}: ${source}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('exporter/Dockerfile', () => {
  const dockerfile = fs.readFileSync(repoPath('exporter', 'Dockerfile'), 'utf8');

  it('is a multi-stage build on Node 24', () => {
    const froms = dockerfile.match(/^FROM .+$/gm) ?? [];
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/NODE_IMAGE=node:24/);
  });

  it('runs as a non-root user and has a HEALTHCHECK on /healthz', () => {
    const users = dockerfile.match(/^USER (\S+)$/gm) ?? [];
    expect(users.at(-1)).not.toMatch(/root|^USER 0$/);
    expect(users.length).toBeGreaterThan(0);
    expect(dockerfile).toMatch(/^HEALTHCHECK [\s\S]*\/healthz/m);
  });

  it('copies only paths that exist, and the build context ignores node_modules', () => {
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of m[1]!.split(/\s+/)) expect([src, fs.existsSync(repoPath(src))]).toEqual([src, true]);
    }
    expect(fs.readFileSync(repoPath('.dockerignore'), 'utf8')).toMatch(/node_modules/);
  });
});
