import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  LineageFileError,
  SimulatorOptionsError,
  WORKSPACE_PATHS,
  createSimulator,
  kpiScore,
  type LineageIndex,
  type Simulator,
  type TelemetrySnapshot,
} from '../src';
import { FakeClock, SimulatorPool, listFiles, makeWorkspace, readJson, removeWorkspace, waitFor } from './helpers';

/** Runs a fixed script of ticks and commands so two runs can be compared file by file. */
async function runScript(sim: Simulator, clock: FakeClock): Promise<void> {
  for (let i = 0; i < 80; i++) {
    clock.advance(2000);
    sim.tick();
    if (i === 20) await sim.handleCommand('kill', {});
    if (i === 25) await sim.handleCommand('kill_release', {});
    if (i === 30) await sim.handleCommand('retrain', { reason: 'script' });
    if (i === 50) await sim.handleCommand('rollback', {});
  }
}

function snapshotTree(dir: string): Map<string, string> {
  return new Map(listFiles(dir).map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('base64')]));
}

describe('simulator lifecycle', () => {
  const dirs: string[] = [];
  const pool = new SimulatorPool();

  async function workspace(): Promise<string> {
    const dir = await makeWorkspace();
    dirs.push(dir);
    return dir;
  }

  afterEach(async () => {
    pool.stopAll();
    await Promise.all(dirs.splice(0).map(removeWorkspace));
  });

  describe('determinism', () => {
    it('writes byte-identical workspaces for the same seed, clock and commands', async () => {
      const [a, b] = [await workspace(), await workspace()];
      const clockA = new FakeClock();
      const clockB = new FakeClock();
      await runScript(
        pool.create({ workspace: a, seed: 1234, now: clockA.now, evaluationTicks: 2, canaryTicks: 4 }),
        clockA
      );
      await runScript(
        pool.create({ workspace: b, seed: 1234, now: clockB.now, evaluationTicks: 2, canaryTicks: 4 }),
        clockB
      );
      const treeA = snapshotTree(a);
      expect(treeA.size).toBeGreaterThan(50);
      expect(snapshotTree(b)).toEqual(treeA);
    });

    it('writes a different history for a different seed', async () => {
      const [a, b] = [await workspace(), await workspace()];
      const clockA = new FakeClock();
      const clockB = new FakeClock();
      await runScript(pool.create({ workspace: a, seed: 1, now: clockA.now }), clockA);
      await runScript(pool.create({ workspace: b, seed: 2, now: clockB.now }), clockB);
      const lineageA = fs.readFileSync(path.join(a, WORKSPACE_PATHS.lineage), 'utf8');
      expect(fs.readFileSync(path.join(b, WORKSPACE_PATHS.lineage), 'utf8')).not.toBe(lineageA);
    });
  });

  describe('autopilot', () => {
    it('retrains, evaluates and promotes on its own, only ever promoting a canary that beats the active', async () => {
      const dir = await workspace();
      const sim = pool.create({ workspace: dir, seed: 77, evaluationTicks: 2, canaryTicks: 3 });
      const promotions: { canary: number; replaced: number }[] = [];
      let previous = sim.getState();
      for (let i = 0; i < 600 && promotions.length < 2; i++) {
        sim.tick();
        const state = sim.getState();
        if (state.active !== previous.active) {
          const score = (id: string): number => kpiScore(state.generations.find((g) => g.id === id)!.kpis);
          promotions.push({ canary: score(state.active), replaced: score(previous.active) });
        }
        previous = state;
      }
      expect(promotions.length).toBeGreaterThan(0);
      for (const p of promotions) expect(p.canary).toBeGreaterThan(p.replaced);
      const statuses = new Set(sim.getState().generations.map((g) => g.status));
      expect(statuses.has('retired')).toBe(true);
    });

    it('never promotes or retrains on its own when autopilot is off', async () => {
      const dir = await workspace();
      const sim = pool.create({ workspace: dir, seed: 77, autopilot: false, evaluationTicks: 2, canaryTicks: 3 });
      const before = sim.getState();
      for (let i = 0; i < 300; i++) sim.tick();
      const after = sim.getState();
      expect(after.active).toBe(before.active);
      expect(after.generations.length).toBe(before.generations.length);
    });
  });

  describe('resume', () => {
    it('continues an existing lineage instead of starting over', async () => {
      const dir = await workspace();
      const first = pool.create({ workspace: dir, seed: 1, autopilot: false });
      const retrained = await first.handleCommand('retrain', {});
      first.stop();

      const second = pool.create({ workspace: dir, seed: 1, autopilot: false });
      expect(second.getState().generations.map((g) => g.id)).toContain(retrained.data!.generation);
      const next = await second.handleCommand('retrain', {});
      expect(next.data!.generation).toBe('gen-0005');
      expect(retrained.data!.generation).toBe('gen-0004');
    });

    it('keeps realised PnL continuous across a restart', async () => {
      const dir = await workspace();
      const first = pool.create({ workspace: dir, seed: 1, autopilot: false });
      for (let i = 0; i < 20; i++) first.tick();
      const pnl = readJson<TelemetrySnapshot>(path.join(dir, WORKSPACE_PATHS.telemetry)).metrics.pnl_realized;
      expect(pnl).not.toBe(0);
      first.stop();
      const second = pool.create({ workspace: dir, seed: 1, autopilot: false });
      expect(second.getState().metrics.pnl_realized).toBe(pnl);
    });

    it('refuses to start on a malformed lineage file, naming the problem', async () => {
      const dir = await workspace();
      fs.mkdirSync(path.join(dir, 'lineage'));
      fs.writeFileSync(
        path.join(dir, WORKSPACE_PATHS.lineage),
        JSON.stringify({ model: 'm', generations: [{ id: 'x' }] })
      );
      const sim = pool.create({ workspace: dir });
      expect(() => sim.start()).toThrow(LineageFileError);
      expect(() => sim.start()).toThrow(/generations\[0\]\.parent/);
    });

    it('keeps unknown fields of a resumed lineage', async () => {
      const dir = await workspace();
      const first = pool.create({ workspace: dir, seed: 1, autopilot: false });
      first.getState();
      const file = path.join(dir, WORKSPACE_PATHS.lineage);
      const index = readJson<LineageIndex & { owner?: string }>(file);
      index.owner = 'quant-team';
      fs.writeFileSync(file, JSON.stringify(index));
      const second = pool.create({ workspace: dir, seed: 1, autopilot: false });
      await second.handleCommand('retrain', {});
      expect(readJson<{ owner?: string }>(file).owner).toBe('quant-team');
    });
  });

  describe('options', () => {
    it.each([
      [{ workspace: '' }, /workspace/],
      [{ workspace: '/tmp/x', tickMs: 0 }, /tickMs/],
      [{ workspace: '/tmp/x', tickMs: 1.5 }, /tickMs/],
      [{ workspace: '/tmp/x', seed: Number.NaN }, /seed/],
      [{ workspace: '/tmp/x', model: 'has space' }, /model/],
      [{ workspace: '/tmp/x', activityRetention: 0 }, /activityRetention/],
    ])('rejects %j with SimulatorOptionsError', (opts, message) => {
      expect(() => createSimulator(opts)).toThrow(SimulatorOptionsError);
      expect(() => createSimulator(opts)).toThrow(message);
    });
  });

  describe('timer', () => {
    it('ticks every tickMs after start() and stops writing after stop()', async () => {
      const dir = await workspace();
      const sim = pool.create({ workspace: dir, tickMs: 20 });
      sim.start();
      expect(sim.getState().running).toBe(true);
      await waitFor(() => sim.getState().ticks >= 3);
      sim.stop();
      expect(sim.getState().running).toBe(false);
      const ticks = sim.getState().ticks;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(sim.getState().ticks).toBe(ticks);
    });

    it('reports a failing timer tick to onError and keeps ticking', async () => {
      const dir = await workspace();
      const errors: unknown[] = [];
      const sim = pool.create({ workspace: dir, tickMs: 20, onError: (err) => errors.push(err) });
      sim.start();
      fs.rmSync(path.join(dir, 'telemetry'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'telemetry'), 'in the way');
      await waitFor(() => errors.length >= 2);
      fs.rmSync(path.join(dir, 'telemetry'));
      await waitFor(() => fs.existsSync(path.join(dir, WORKSPACE_PATHS.telemetry)));
      expect(sim.getState().running).toBe(true);
    });
  });
});
