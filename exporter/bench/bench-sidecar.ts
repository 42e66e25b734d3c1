import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { ConfigInput } from '../src/config/config-schema';
import { loadConfig } from '../src/config/load-config';
import { createLogger } from '../src/log/logger';
import { type Sidecar, startSidecar } from '../src/main';
import type { Bus } from '../src/bus/bus';

export const BENCH_TOKEN = 'bench-viewer-secret-0123456789abcdef';

export interface BenchSidecar {
  sidecar: Sidecar;
  workspace: string;
  dataDir: string;
  /** Headers a viewer sends (the status and metrics routes need a token). */
  auth: Record<string, string>;
  /** Stops the sidecar and removes its temp folders. */
  close(): Promise<void>;
}

export function benchTempDir(prefix: string, base: string = os.tmpdir()): string {
  return fs.mkdtempSync(path.join(base, `lookout-bench-${prefix}-`));
}

/**
 * tmpfs (`/dev/shm`) when this machine has a writable one, else the OS temp folder. Creating a file on a
 * journaling disk can cost a millisecond (it did on the VM this bench was written on), which would cap the
 * bench's own writer below the rates being measured; a workspace on tmpfs measures the watcher instead.
 */
export function fastTempBase(): string {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    if (fs.statSync('/dev/shm').isDirectory()) return '/dev/shm';
  } catch {
    // no tmpfs here
  }
  return os.tmpdir();
}

export interface BenchSidecarOptions {
  /** Runs on the fresh workspace before the sidecar starts (folders created now are watched from the start). */
  prepareWorkspace?: (root: string) => void;
  /** Where the workspace folder is created (default: the OS temp folder, like the data folder). */
  workspaceBase?: string;
  /** A bus shared with something else in the process (the example workload); default: the sidecar's own. */
  bus?: Bus;
}

/**
 * The real sidecar, as `main.ts` wires it, on port 0 with a fresh data folder and workspace. Logs stay at
 * the production default level (`info`, one line per request) but go to /dev/null, so their cost is
 * measured without flooding the table.
 */
export async function startBenchSidecar(
  overrides: ConfigInput = {},
  opts: BenchSidecarOptions = {}
): Promise<BenchSidecar> {
  const dataDir = benchTempDir('data');
  const workspace = benchTempDir('ws', opts.workspaceBase);
  const cleanup = (): void => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(workspace, { recursive: true, force: true });
  };
  let sidecar: Sidecar;
  // Whatever fails before the sidecar runs (a workspace step, a configuration it refuses) leaves no folders.
  try {
    for (const d of ['lineage', 'calibration', 'telemetry', 'activity']) fs.mkdirSync(path.join(workspace, d));
    opts.prepareWorkspace?.(workspace);
    const config = loadConfig({
      env: {},
      overrides: {
        port: 0,
        host: '127.0.0.1',
        node: 'bench',
        data_dir: dataDir,
        log_level: 'info',
        tokens: [{ name: 'bench', role: 'viewer', secret: BENCH_TOKEN }],
        ...overrides,
        watch: { root: workspace, ...overrides.watch },
      },
    });
    const logger = createLogger('info', pino.destination({ dest: '/dev/null', sync: false }));
    sidecar = await startSidecar(config, { logger, ...(opts.bus ? { bus: opts.bus } : {}) });
  } catch (err) {
    cleanup();
    throw err;
  }
  return {
    sidecar,
    workspace,
    dataDir,
    auth: { authorization: `Bearer ${BENCH_TOKEN}` },
    async close() {
      try {
        await sidecar.stop();
      } finally {
        cleanup();
      }
    },
  };
}
