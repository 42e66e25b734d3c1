/**
 * Starts the real Lookout sidecar with the example workload (`node examples/dist/demo.js`): one process, a fresh data
 * folder and workspace, port 0, and the `grafana` delegation token Grafana would hold, which the harness proxy injects.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

export interface Sidecar {
  url: string;
  /** The token the harness proxy injects (the app's `sidecarToken`). */
  token: string;
  /** The watched workspace (lineage/, calibration/, telemetry/, activity/). */
  workspace: string;
  stop(): Promise<void>;
}

export interface SidecarOptions {
  timeoutMs?: number;
  /** More `LOOKOUT_*` settings (guardian rules, scheduler policies, ...). */
  env?: Record<string, string>;
  /** More tokens as `name:role:secret` (e.g. an agent's). */
  extraTokens?: string[];
}

export const REPO_ROOT = path.resolve(process.cwd(), process.cwd().endsWith('grafana-plugins') ? '..' : '.');
/** The example-workload demo; LOOKOUT_DEMO_SCRIPT points elsewhere (e.g. a packaged build) without editing specs. */
export const DEMO_SCRIPT = process.env.LOOKOUT_DEMO_SCRIPT ?? path.join(REPO_ROOT, 'examples/dist/demo.js');

export function demoAvailable(): boolean {
  return fs.existsSync(DEMO_SCRIPT);
}

export async function startSidecar(o: SidecarOptions = {}): Promise<Sidecar> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-harness-'));
  const workspace = path.join(dir, 'workspace');
  fs.mkdirSync(workspace, { recursive: true });
  const token = crypto.randomBytes(18).toString('hex');
  const child: ChildProcess = spawn(process.execPath, [DEMO_SCRIPT], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      LOOKOUT_PORT: '0',
      LOOKOUT_HOST: '127.0.0.1',
      LOOKOUT_DATA_DIR: path.join(dir, 'data'),
      LOOKOUT_WATCH_ROOT: workspace,
      // The delegation token Grafana holds (the app's secureJsonData): the sidecar takes each person and role from the
      // X-Grafana-Context the harness proxy always sets, as Grafana does.
      LOOKOUT_TOKENS: [`grafana:grafana:${token}`, ...(o.extraTokens ?? [])].join(','),
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (c: Buffer) => stderr.push(c.toString()));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sidecar did not report "sidecar listening" in ${timeoutMs} ms\n${stderr.join('')}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sidecar exited with ${code}\n${stderr.join('')}`));
    });
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const rec = JSON.parse(line) as { msg?: string; url?: string };
        if (rec.msg === 'sidecar listening' && rec.url) {
          clearTimeout(timer);
          resolve(rec.url);
        }
      } catch {
        // Non-JSON output is the simulator talking; ignore it.
      }
    });
  });

  return {
    url,
    token,
    workspace,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) {
          child.kill('SIGKILL');
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
