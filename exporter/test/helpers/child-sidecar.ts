import fs from 'node:fs';
import path from 'node:path';
import { type ChildProcess, spawn } from 'node:child_process';
import type { ConfigInput } from '../../src/config/config-schema';
import { type ApiCall, TEST_TOKENS, apiCaller, tempDir } from './sidecar';
import { waitFor } from './wait';

export const CLI = path.resolve(__dirname, '../../dist/cli.js');

export interface ChildSidecar {
  /** The real sidecar process, started from the built CLI (`dist/cli.js`). */
  child: ChildProcess;
  pid: number;
  url: string;
  /** Everything the process printed (JSON log lines on stdout, anything on stderr). */
  output(): string;
  /** Parsed JSON log lines. */
  logs(): Record<string, unknown>[];
  /** fetch with a role's token (admin unless `as` says otherwise); JSON in and out. */
  call: ApiCall;
  alive(): boolean;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL: the crash, no shutdown code runs. */
  kill(): Promise<void>;
  /** SIGTERM (graceful stop); SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts the real sidecar as a child process (the built CLI with a JSON config file), as an operator
 * runs it, so a test can kill it with SIGKILL and restart it on the same data. The config always
 * carries the four test tokens, port 0 and log level info.
 */
export async function startChildSidecar(
  config: ConfigInput & { data_dir: string },
  opts: {
    /** Runs once the process is spawned, before waiting for it to listen (a start-up that has to wait). */
    whileStarting?: (p: { output(): string; alive(): boolean }) => Promise<void>;
  } = {}
): Promise<ChildSidecar> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build -w exporter" first`);
  const file = path.join(tempDir('child-config'), 'lookout.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      port: 0,
      host: '127.0.0.1',
      log_level: 'info',
      tokens: TEST_TOKENS,
      ...config,
    })
  );
  // Only the config file speaks: no LOOKOUT_* variable of the test's own environment leaks in.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LOOKOUT_')));
  const child = spawn(process.execPath, [CLI, '--config', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal }))
  );
  let gone = false;
  void exited.then(() => (gone = true));
  let url: string;
  try {
    await opts.whileStarting?.({ output: () => out, alive: () => !gone });
    url = await waitFor(() => {
      if (gone) throw new Error(`the sidecar exited during start-up:\n${out}`);
      return /"msg":"sidecar listening"/.test(out) ? /"url":"(http:[^"]+)"/.exec(out)?.[1] : undefined;
    }, 30_000);
  } catch (err) {
    if (!gone) child.kill('SIGKILL');
    throw err;
  }
  const stop = async (graceMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
    if (!gone) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const r = await exited;
      clearTimeout(timer);
      return r;
    }
    return exited;
  };
  return {
    child,
    pid: child.pid!,
    url,
    output: () => out,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    call: apiCaller(url),
    alive: () => !gone,
    exited,
    async kill() {
      if (!gone) child.kill('SIGKILL');
      await exited;
    },
    stop,
  };
}

/** The value of one sample in a Prometheus text exposition, or NaN (labels matched as a subset). */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return NaN;
}
