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

/** `@lookout/examples` from its build; builds it once when the build is missing. */
export async function loadExamples(log: (msg: string) => void = () => undefined): Promise<ExamplesModule> {
  const spec = '@lookout/examples';
  try {
    return (await import(spec)) as ExamplesModule;
  } catch {
    const root = path.resolve(__dirname, '..', '..', '..');
    const examples = fs.existsSync(path.join(root, 'examples'))
      ? path.join(root, 'examples')
      : path.resolve(__dirname, '..', '..', 'examples');
    log('building the example workload (examples/dist is missing)');
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', path.join(examples, 'tsconfig.build.json')],
      { stdio: 'inherit' }
    );
    return (await import(spec)) as ExamplesModule;
  }
}
