import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { waitFor } from '../helpers/wait';
import { ConfigError, envNameFor, listConfigKeys, loadConfig } from '../../src/config/load-config';
import { tempDir } from '../helpers/sidecar';

const CLI = path.resolve(__dirname, '../../dist/cli.js');

describe('configuration', () => {
  it('has embedded defaults: port 9469, ./data, no NATS', () => {
    const c = loadConfig({ env: {} });
    expect(c.port).toBe(9469);
    expect(c.data_dir).toBe(path.resolve('data'));
    expect(c.nats.url).toBeUndefined();
  });

  it('derives a LOOKOUT_ environment override for every key', () => {
    const keys = listConfigKeys();
    expect(keys.map((k) => k.env)).toEqual(
      expect.arrayContaining([
        'LOOKOUT_PORT',
        'LOOKOUT_HOST',
        'LOOKOUT_DATA_DIR',
        'LOOKOUT_NODE',
        'LOOKOUT_WATCH_ROOT',
        'LOOKOUT_NATS_URL',
        'LOOKOUT_TOKENS',
      ])
    );
    for (const k of keys) {
      expect(k.env).toBe(envNameFor(k.path));
      expect(k.description.length).toBeGreaterThan(0);
    }
  });

  it('lets env override the file, and reads tokens as name:role:secret', () => {
    const dir = tempDir('cfg');
    const file = path.join(dir, 'lookout.yaml');
    fs.writeFileSync(file, 'port: 1234\nnode: from-file\nwatch:\n  debounce_ms: 5\n');
    const c = loadConfig({
      file,
      env: {
        LOOKOUT_NODE: 'from-env',
        LOOKOUT_TOKENS: 'ops:operator:0123456789abcdef0123,view:viewer:abcdefabcdefabcdef12',
        LOOKOUT_HTTP_METRICS_PUBLIC: 'true',
      },
    });
    expect(c.port).toBe(1234);
    expect(c.node).toBe('from-env');
    expect(c.watch.debounce_ms).toBe(5);
    expect(c.http.metrics_public).toBe(true);
    expect(c.tokens.map((t) => `${t.name}:${t.role}`)).toEqual(['ops:operator', 'view:viewer']);
  });

  it('says what is wrong and where', () => {
    let err: unknown;
    try {
      loadConfig({ env: { LOOKOUT_PORT: 'ninety', LOOKOUT_TOKENS: 'x:superuser:short' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^port: .*\(from LOOKOUT_PORT\)/m);
    expect(problems).toMatch(/^tokens\.0\.role: /m);
    expect(problems).toMatch(/^tokens\.0\.secret: .*16/m);
  });

  it('reads a grafana delegation token and its settings from the environment', () => {
    const c = loadConfig({
      env: {
        LOOKOUT_TOKENS: 'grafana:grafana:0123456789abcdef0123',
        LOOKOUT_HTTP_GRAFANA_ROLE_CEILING: 'operator',
        LOOKOUT_HTTP_GRAFANA_URL: 'http://grafana:3000',
        LOOKOUT_HTTP_GRAFANA_REQUIRE_ID_TOKEN: 'true',
      },
    });
    expect(c.tokens).toEqual([{ name: 'grafana', role: 'grafana', secret: '0123456789abcdef0123' }]);
    expect(c.http.grafana).toMatchObject({
      role_ceiling: 'operator',
      url: 'http://grafana:3000',
      require_id_token: true,
    });
  });

  it('refuses require_id_token without keys to verify against, and the removed user_header', () => {
    const problems = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).problems.join('\n');
      }
      throw new Error('no ConfigError');
    };
    expect(problems(() => loadConfig({ env: { LOOKOUT_HTTP_GRAFANA_REQUIRE_ID_TOKEN: 'true' } }))).toMatch(
      /^http\.grafana\.require_id_token: needs http\.grafana\.url or http\.grafana\.jwks_url/m
    );
    expect(problems(() => loadConfig({ env: { LOOKOUT_HTTP_USER_HEADER: 'X-Grafana-User' } }))).toMatch(
      /LOOKOUT_HTTP_USER_HEADER: http\.user_header was removed/
    );
    const dir = tempDir('cfg');
    const file = path.join(dir, 'lookout.yaml');
    fs.writeFileSync(file, 'http:\n  user_header: X-Grafana-User\n');
    expect(problems(() => loadConfig({ file, env: {} }))).toMatch(
      /^http\.user_header was removed.*\(in .*lookout\.yaml\)$/m
    );
  });

  it('refuses fleet mode without a NATS cluster to run on, and reads fleet labels from the environment', () => {
    let err: unknown;
    try {
      loadConfig({ env: { LOOKOUT_FLEET_ENABLED: 'true' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.join('\n')).toMatch(
      /^fleet\.enabled: fleet mode runs on a NATS JetStream cluster: set nats\.url \(LOOKOUT_NATS_URL\) too/m
    );
    const c = loadConfig({
      env: {
        LOOKOUT_FLEET_ENABLED: 'true',
        LOOKOUT_NATS_URL: 'nats://n1:4222,nats://n2:4222',
        LOOKOUT_FLEET_LABELS: '{"region":"eu","tier":"canary"}',
        LOOKOUT_FLEET_GROUP: 'pricing',
      },
    });
    expect(c.fleet).toMatchObject({ enabled: true, group: 'pricing', labels: { region: 'eu', tier: 'canary' } });
    let hubErr: unknown;
    try {
      loadConfig({ env: { LOOKOUT_FLEET_HUB: 'true', LOOKOUT_NATS_URL: 'nats://n1:4222' } });
    } catch (e) {
      hubErr = e;
    }
    expect((hubErr as ConfigError).problems.join('\n')).toMatch(/^fleet\.hub: a hub is a fleet member/m);
  });

  describe('the lookout-exporter bin', () => {
    beforeAll(() => {
      if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build -w exporter" first`);
    });
    const run = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, [CLI, ...args], {
        env: { PATH: process.env['PATH'] ?? '', ...env },
        encoding: 'utf8',
        timeout: 20_000,
      });

    it('prints its version and help', () => {
      const v = run(['--version']);
      expect(v.status).toBe(0);
      expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
      const h = run(['--help']);
      expect(h.status).toBe(0);
      expect(h.stdout).toContain('--config');
      expect(h.stdout).toContain('LOOKOUT_WATCH_ROOT');
    });

    it('exits 2 with the problem and its place on an invalid config', () => {
      const dir = tempDir('cfg');
      const file = path.join(dir, 'bad.json');
      fs.writeFileSync(file, JSON.stringify({ port: -1, watch: { debounce_ms: 'soon' } }));
      const r = run(['--config', file]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('port:');
      expect(r.stderr).toContain('watch.debounce_ms:');
      expect(r.stderr).toContain(file);
      const unreadable = run(['--config', path.join(dir, 'missing.json')]);
      expect(unreadable.status).toBe(2);
      const badFlag = run(['--frobnicate']);
      expect(badFlag.status).toBe(2);
    });

    it('writes an admin token (mode 0600) on first start, logs only its path, and stops cleanly on SIGTERM', async () => {
      const dataDir = tempDir('data');
      const ws = tempDir('ws');
      const child = spawn(process.execPath, [CLI], {
        env: {
          PATH: process.env['PATH'] ?? '',
          LOOKOUT_PORT: '0',
          LOOKOUT_HOST: '127.0.0.1',
          LOOKOUT_DATA_DIR: dataDir,
          LOOKOUT_WATCH_ROOT: ws,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        await waitFor(() => out.includes('"msg":"sidecar listening"'), 20_000);
        const tokenFile = path.join(dataDir, 'admin.token');
        await waitFor(() => out.includes(tokenFile));
        expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
        const token = fs.readFileSync(tokenFile, 'utf8').trim();
        expect(token.length).toBeGreaterThanOrEqual(32);
        expect(out).not.toContain(token);
        const url = /"url":"(http:[^"]+)"/.exec(out)![1]!;
        const ok = await fetch(`${url}/api/v1/status`, { headers: { authorization: `Bearer ${token}` } });
        expect(ok.status).toBe(200);
        child.kill('SIGTERM');
        expect(await exit).toBe(0);
        expect(out).toContain('shutting down');
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });
  });
});
