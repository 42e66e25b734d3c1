import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';

const DEMO = path.resolve(__dirname, '../dist/demo.js');

async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs: number): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('npm start (the demo launcher)', () => {
  it('runs the sidecar with the example workload and the starter policy, prints where to look, serves the lineage, images and telemetry of the workload, obeys a kill over the in-process bus, and stops on SIGTERM', async () => {
    if (!fs.existsSync(DEMO)) throw new Error(`${DEMO} is missing: run "npm run build" first`);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-demo-'));
    const child = spawn(process.execPath, [DEMO], {
      cwd: tmp,
      env: {
        PATH: process.env['PATH'] ?? '',
        LOOKOUT_PORT: '0',
        LOOKOUT_HOST: '127.0.0.1',
        LOOKOUT_DEMO_TICK_MS: '200',
        LOOKOUT_NODE: 'demo',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await waitFor(() => /status: +(http:\/\/[^/]+)\/api\/v1\/status/.exec(out)?.[1], 30_000);
      // Embedded defaults: ./data and ./workspace under the working directory.
      const tokenFile = path.join(tmp, 'data', 'admin.token');
      expect(out).toContain(`admin token: ${tokenFile}`);
      const token = fs.readFileSync(tokenFile, 'utf8').trim();
      expect(out).not.toContain(token);
      const auth = { authorization: `Bearer ${token}` };
      const lineage = await waitFor(async () => {
        const r = await fetch(`${url}/api/v1/lineage`, { headers: auth });
        const body = (await r.json()) as { active: string | null; generations: unknown[] };
        return body.active ? body : null;
      }, 30_000);
      expect(lineage.generations.length).toBeGreaterThan(0);
      const images = await waitFor(async () => {
        const r = await fetch(`${url}/api/v1/artifacts/calibration`, { headers: auth });
        const body = (await r.json()) as { items: unknown[] };
        return body.items.length ? body.items : null;
      }, 30_000);
      expect(images.length).toBeGreaterThan(0);
      await waitFor(async () => {
        const r = await fetch(`${url}/metrics`, { headers: auth });
        return /lookout_workload_state_active\{[^}]*\} 1/.test(await r.text());
      }, 30_000);
      expect(fs.existsSync(path.join(tmp, 'workspace', 'lineage', 'lineage_index.json'))).toBe(true);
      // The starter safety policy runs without the user writing a rule.
      const starter = path.resolve(__dirname, '..', '..', 'policies', 'starter.yml');
      expect(out).toContain(`policy:     ${starter}`);
      const policy = (await (await fetch(`${url}/api/v1/policy`, { headers: auth })).json()) as {
        source: { kind: string; path: string };
        guardian: { rules: { name: string }[] };
      };
      expect(policy.source).toEqual({ kind: 'file', path: starter });
      expect(policy.guardian.rules.map((r) => r.name)).toContain('telemetry_stale');
      const kill = await fetch(`${url}/kill`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'demo test stops trading' }),
      });
      expect(kill.status).toBeLessThan(300);
      await waitFor(async () => {
        const r = await fetch(`${url}/metrics`, { headers: auth });
        return /lookout_workload_state_active\{[^}]*\} 0/.test(await r.text());
      }, 30_000);
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
