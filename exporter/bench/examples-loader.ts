import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Bus } from '../src/bus/bus';

/** The slice of the example workload the benches drive (loaded at run time from its build). */
export interface BenchSimulator {
  getState(): { killed: boolean };
  attachBus(bus: Bus | BenchCommandBus, node: string): { unsubscribe(): void };
  stop(): void;
}

/** The example workload's NATS hookup: answers `lookout.cmd.<node>.*` over a real connection. */
export interface BenchCommandBus {
  drain(): Promise<void>;
}

export interface ExamplesModule {
  createSimulator(opts: { workspace: string; seed?: number; tickMs?: number; autopilot?: boolean }): BenchSimulator;
  NatsCommandBus: { connect(opts: { url: string; name?: string }): Promise<BenchCommandBus> };
}

function examplesDir(): string {
  const root = path.resolve(__dirname, '..', '..', '..');
  return fs.existsSync(path.join(root, 'examples'))
    ? path.join(root, 'examples')
    : path.resolve(__dirname, '..', '..', 'examples');
}

/** Newest modification time of the example workload's sources (0 when they are not here). */
function newestSource(dir: string): number {
  let newest = 0;
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return newest;
}

/**
 * `@lookout/examples` from its build, built first when the build is missing or older than its sources
 * (a stale build once lacked an export the fleet bench needs and crashed it). A bench that loads it on
 * several threads calls this once on the main thread first, so only one build runs.
 */
export async function loadExamples(log: (msg: string) => void = () => undefined): Promise<ExamplesModule> {
  const dir = examplesDir();
  const built = path.join(dir, 'dist', 'index.js');
  const builtAt = fs.existsSync(built) ? fs.statSync(built).mtimeMs : 0;
  if (builtAt < newestSource(path.join(dir, 'src'))) {
    log(
      `building the example workload (${builtAt ? 'examples/dist is older than its sources' : 'examples/dist is missing'})`
    );
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', path.join(dir, 'tsconfig.build.json')],
      { stdio: 'inherit' }
    );
  }
  return (await import('@lookout/examples')) as ExamplesModule;
}
