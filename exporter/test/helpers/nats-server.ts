import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from './free-port';
import { tempDir } from './sidecar';

export const NATS_SERVER_BIN = process.env['NATS_SERVER_BIN'] ?? '/usr/sbin/nats-server';

export interface NatsServer {
  url: string;
  port: number;
  storeDir: string;
  /** Stops the server (SIGTERM, SIGKILL after 5 s); the store folder stays for a restart. */
  stop(): Promise<void>;
  /** Kills the server with SIGKILL (a crash: no shutdown, open connections just drop); the store stays. */
  crash(): Promise<void>;
  /** Starts it again on the same port and store folder. */
  start(): Promise<void>;
  /** Stops it for good and removes the store folder. */
  dispose(): Promise<void>;
  running(): boolean;
}

/**
 * Starts Debian's real `nats-server` with JetStream on a free port and a temp store folder, and
 * waits until it says it is ready (JetStream included) and accepts connections.
 */
export async function startNatsServer(
  opts: {
    port?: number;
    storeDir?: string;
    /** A config file's text (port and store folder given); replaces the command-line flags (a cluster member). */
    config?: (port: number, storeDir: string) => string;
    /** GOMAXPROCS for the server (default: Go's, every core of the host). */
    goMaxProcs?: number;
  } = {}
): Promise<NatsServer> {
  if (!fs.existsSync(NATS_SERVER_BIN)) throw new Error(`${NATS_SERVER_BIN} missing: apt-get install -y nats-server`);
  const port = opts.port ?? (await freePort());
  const storeDir = opts.storeDir ?? tempDir('nats');
  let child: ChildProcess | null = null;
  let args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir];
  if (opts.config) {
    const file = path.join(storeDir, 'nats-server.conf');
    fs.writeFileSync(file, opts.config(port, storeDir));
    args = ['-c', file];
  }

  const start = async (): Promise<void> => {
    if (child) return;
    const proc = spawn(NATS_SERVER_BIN, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(opts.goMaxProcs ? { env: { ...process.env, GOMAXPROCS: String(opts.goMaxProcs) } } : {}),
    });
    child = proc;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nats-server not ready in 15 s:\n${log}`)), 15_000);
      const onData = (b: Buffer): void => {
        log += b.toString();
        if (log.includes('Server is ready')) {
          clearTimeout(timer);
          proc.stderr?.off('data', onData);
          proc.stderr?.resume();
          resolve();
        }
      };
      proc.stderr?.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited with ${code}:\n${log}`));
      });
    });
    proc.removeAllListeners('exit');
    proc.once('exit', () => {
      if (child === proc) child = null;
    });
    await waitForPort(port);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc) return;
    child = null;
    await new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.once('exit', () => {
        clearTimeout(killer);
        resolve();
      });
      proc.kill('SIGTERM');
    });
  };

  const crash = async (): Promise<void> => {
    const proc = child;
    if (!proc) return;
    child = null;
    await new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    start,
    stop,
    crash,
    running: () => child !== null,
    async dispose() {
      await stop();
      fs.rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nats-server port ${port} never accepted connections`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
