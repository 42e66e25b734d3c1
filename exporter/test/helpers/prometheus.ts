import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from './free-port';
import { waitFor } from './wait';

/** The Debian packages `prometheus` and `prometheus-alertmanager` install these. */
export const BINARIES = {
  prometheus: '/usr/bin/prometheus',
  promtool: '/usr/bin/promtool',
  alertmanager: '/usr/bin/prometheus-alertmanager',
  amtool: '/usr/bin/amtool',
  dockerCompose: '/usr/bin/docker-compose',
} as const;

export function hasBinary(bin: string): boolean {
  try {
    fs.accessSync(bin, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool (argv, no shell) and resolves with its exit code and output; never rejects on a non-zero exit. */
export function runTool(bin: string, args: string[], opts: { cwd?: string; stdin?: string } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, args, { cwd: opts.cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(err);
        return;
      }
      resolve({ code: err ? Number(err.code) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
    if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
  });
}

export interface ManagedProcess {
  url: string;
  port: number;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

async function startManaged(
  name: string,
  bin: string,
  args: string[],
  port: number,
  readyPath: string
): Promise<ManagedProcess> {
  let output = '';
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    })
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exitedPromise;
    clearTimeout(killer);
  };
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`${name} exited during start-up:\n${output}`);
        const res = await fetch(url + readyPath);
        return res.ok;
      },
      20_000,
      100
    );
  } catch (err) {
    await stop();
    throw new Error(`${name} did not become ready: ${(err as Error).message}\n${output}`, { cause: err });
  }
  return { url, port, output: () => output, stop };
}

/** Starts the real Prometheus on a free port with `config` (YAML text) in `dir`. */
export async function startPrometheus(dir: string, config: string): Promise<ManagedProcess> {
  const port = await freePort();
  fs.mkdirSync(dir, { recursive: true });
  const configFile = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(configFile, config);
  return startManaged(
    'prometheus',
    BINARIES.prometheus,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Send firing alerts to Alertmanager on every evaluation instead of at most once a minute.
      '--rules.alert.resend-delay=1s',
      '--log.level=warn',
    ],
    port,
    '/-/ready'
  );
}

/** Starts the real Alertmanager on a free port with `config` (YAML text) in `dir`; clustering off. */
export async function startAlertmanager(dir: string, config: string): Promise<ManagedProcess> {
  const port = await freePort();
  fs.mkdirSync(dir, { recursive: true });
  const configFile = path.join(dir, 'alertmanager.yml');
  fs.writeFileSync(configFile, config);
  return startManaged(
    'alertmanager',
    BINARIES.alertmanager,
    [
      `--config.file=${configFile}`,
      `--storage.path=${path.join(dir, 'am-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // An empty cluster address disables gossip (it would otherwise bind :9094).
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    port,
    '/-/ready'
  );
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
}

/** Alerts Prometheus currently holds (pending or firing). */
export async function prometheusAlerts(prom: ManagedProcess): Promise<PromAlert[]> {
  const res = await fetch(`${prom.url}/api/v1/alerts`);
  const body = (await res.json()) as { data: { alerts: PromAlert[] } };
  return body.data.alerts;
}

export interface AmAlert {
  labels: Record<string, string>;
  fingerprint: string;
  /** The receivers the alert's routes lead to. */
  receivers: { name: string }[];
  status: { state: 'active' | 'suppressed' | 'unprocessed'; inhibitedBy: string[]; silencedBy: string[] };
}

/** Alerts Alertmanager holds, active and inhibited alike. */
export async function alertmanagerAlerts(am: ManagedProcess): Promise<AmAlert[]> {
  const res = await fetch(`${am.url}/api/v2/alerts?active=true&inhibited=true&silenced=true&unprocessed=true`);
  return (await res.json()) as AmAlert[];
}
