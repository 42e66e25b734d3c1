import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createSimulator, type Simulator, type SimulatorOptions } from '../src';

/** A fixed start time so file contents do not depend on when the test runs. */
export const T0 = Date.parse('2025-03-01T12:00:00.000Z');

/** A clock the test moves by hand. */
export class FakeClock {
  ms = T0;

  readonly now = (): number => this.ms;

  advance(ms: number): void {
    this.ms += ms;
  }
}

export async function makeWorkspace(): Promise<string> {
  return fs.promises.mkdtemp(path.join(os.tmpdir(), 'lookout-sim-'));
}

export async function removeWorkspace(dir: string): Promise<void> {
  await fs.promises.rm(dir, { recursive: true, force: true });
}

/** Simulators made through this are stopped by `stopAll()` in teardown. */
export class SimulatorPool {
  private readonly sims: Simulator[] = [];

  create(opts: SimulatorOptions): Simulator {
    const sim = createSimulator(opts);
    this.sims.push(sim);
    return sim;
  }

  stopAll(): void {
    for (const sim of this.sims.splice(0)) sim.stop();
  }
}

export function readJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** Every file under `dir`, as paths relative to it, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else out.push(child);
    }
  };
  walk('');
  return out.sort();
}

export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
