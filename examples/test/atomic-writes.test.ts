import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { WORKSPACE_PATHS } from '../src';
import { FakeClock, SimulatorPool, makeWorkspace, removeWorkspace } from './helpers';

interface ReaderReport {
  parsed: number;
  partial: number;
  missing: number;
  distinct: number;
  firstError: string | null;
}

// Plain JavaScript so the worker needs no transpiler; it polls until the shared flag is raised.
const READER = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const flag = new Int32Array(workerData.flag);
const seen = new Set();
const report = { parsed: 0, partial: 0, missing: 0, distinct: 0, firstError: null };
Atomics.store(flag, 1, 1);
while (Atomics.load(flag, 0) === 0) {
  for (const file of workerData.files) {
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      report.missing += 1;
      continue;
    }
    try {
      JSON.parse(text);
      report.parsed += 1;
      seen.add(text.length + ':' + text.slice(0, 200));
    } catch (err) {
      report.partial += 1;
      if (report.firstError === null) report.firstError = String(err) + ' in ' + text.length + ' bytes';
    }
  }
}
report.distinct = seen.size;
parentPort.postMessage(report);
`;

describe('atomic writes', () => {
  let dir: string;
  const pool = new SimulatorPool();
  let worker: Worker | undefined;

  beforeEach(async () => {
    dir = await makeWorkspace();
  });

  afterEach(async () => {
    pool.stopAll();
    await worker?.terminate();
    worker = undefined;
    await removeWorkspace(dir);
  });

  it('never lets a concurrent reader parse a partial lineage or telemetry file', async () => {
    const clock = new FakeClock();
    const sim = pool.create({ workspace: dir, seed: 11, now: clock.now, evaluationTicks: 1, canaryTicks: 2 });
    sim.getState(); // the files exist before the reader starts, so "missing" means a torn rename
    const flag = new Int32Array(new SharedArrayBuffer(8));
    const files = [path.join(dir, WORKSPACE_PATHS.lineage), path.join(dir, WORKSPACE_PATHS.telemetry)];
    worker = new Worker(READER, { eval: true, workerData: { flag: flag.buffer, files } });
    const report = new Promise<ReaderReport>((resolve, reject) => {
      worker!.once('message', resolve);
      worker!.once('error', reject);
    });
    while (Atomics.load(flag, 1) === 0) await new Promise((resolve) => setTimeout(resolve, 5));

    // The main thread writes as fast as it can while the worker reads on its own thread.
    const deadline = Date.now() + 1500;
    let i = 0;
    while (Date.now() < deadline) {
      clock.advance(2000);
      sim.tick();
      if (i % 10 === 0) await sim.handleCommand('retrain', { reason: `load ${i}` });
      i += 1;
    }
    Atomics.store(flag, 0, 1);
    const result = await report;

    expect(result.firstError).toBeNull();
    expect(result.partial).toBe(0);
    expect(result.missing).toBe(0);
    expect(result.parsed).toBeGreaterThan(100);
    expect(result.distinct).toBeGreaterThan(10);
  });
});
