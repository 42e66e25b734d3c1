import * as fs from 'node:fs';
import * as path from 'node:path';
import { WORKSPACE_PATHS, type LineageIndex, type Simulator, type TelemetrySnapshot } from '../src';
import { FakeClock, SimulatorPool, makeWorkspace, readJson, removeWorkspace } from './helpers';

describe('commands', () => {
  let dir: string;
  let sim: Simulator;
  const pool = new SimulatorPool();
  const clock = new FakeClock();

  const telemetry = (): TelemetrySnapshot => readJson<TelemetrySnapshot>(path.join(dir, WORKSPACE_PATHS.telemetry));
  const lineage = (): LineageIndex => readJson<LineageIndex>(path.join(dir, WORKSPACE_PATHS.lineage));
  const statusOf = (id: string): string | undefined => lineage().generations.find((g) => g.id === id)?.status;
  const activeId = (): string => lineage().generations.find((g) => g.status === 'active')!.id;
  const tick = (n = 1): void => {
    for (let i = 0; i < n; i++) {
      clock.advance(2000);
      sim.tick();
    }
  };

  /** Retrains until a candidate passes evaluation; the seed makes the number of attempts fixed. */
  async function makeCanary(): Promise<string> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const res = await sim.handleCommand('retrain', {});
      const id = res.data!.generation as string;
      tick(1);
      if (statusOf(id) === 'canary') return id;
    }
    throw new Error('no candidate passed evaluation in 20 attempts');
  }

  beforeEach(async () => {
    dir = await makeWorkspace();
    // No autopilot: the lineage only moves through the commands under test (and candidate evaluation).
    sim = pool.create({
      workspace: dir,
      seed: 21,
      now: clock.now,
      autopilot: false,
      evaluationTicks: 1,
      canaryTicks: 100,
    });
    tick(3);
  });

  afterEach(async () => {
    pool.stopAll();
    await removeWorkspace(dir);
  });

  describe('kill', () => {
    it('writes state_active 0 to telemetry before the reply resolves, then freezes PnL', async () => {
      const res = await sim.handleCommand('kill', {});
      expect(res.ok).toBe(true);
      const snap = telemetry();
      expect(snap.metrics.state_active).toBe(0);
      expect(snap.metrics.pnl_unrealized).toBe(0);

      tick(5);
      expect(telemetry().metrics.state_active).toBe(0);
      expect(telemetry().metrics.pnl_realized).toBe(snap.metrics.pnl_realized);
    });

    it('answers a second kill with ok and leaves the workload stopped', async () => {
      await sim.handleCommand('kill', {});
      const again = await sim.handleCommand('kill', {});
      expect(again).toMatchObject({ ok: true, message: 'already killed' });
      expect(telemetry().metrics.state_active).toBe(0);
    });

    it('pauses the lineage lifecycle while killed', async () => {
      const retrain = await sim.handleCommand('retrain', {});
      await sim.handleCommand('kill', {});
      tick(5);
      expect(statusOf(retrain.data!.generation as string)).toBe('candidate');
    });
  });

  describe('kill_release', () => {
    it('writes state_active 1 before the reply resolves and PnL moves again', async () => {
      await sim.handleCommand('kill', {});
      const frozen = telemetry().metrics.pnl_realized;
      const res = await sim.handleCommand('kill_release', {});
      expect(res.ok).toBe(true);
      expect(telemetry().metrics.state_active).toBe(1);
      tick(3);
      expect(telemetry().metrics.pnl_realized).not.toBe(frozen);
    });
  });

  describe('retrain', () => {
    it('writes a new candidate child of the active generation, with its calibration images, before replying', async () => {
      const parent = activeId();
      const res = await sim.handleCommand('retrain', { reason: 'drift high' });
      expect(res.ok).toBe(true);
      const id = res.data!.generation as string;
      const generation = lineage().generations.find((g) => g.id === id);
      expect(generation).toMatchObject({ status: 'candidate', parent });
      expect(generation!.notes).toContain('drift high');
      for (const artifact of generation!.artifacts) expect(fs.existsSync(path.join(dir, artifact))).toBe(true);
      expect(fs.existsSync(path.join(dir, WORKSPACE_PATHS.calibration, id, 'reliability.json'))).toBe(true);
    });

    it('gives each retrain a fresh generation id', async () => {
      const a = await sim.handleCommand('retrain', {});
      const b = await sim.handleCommand('retrain', {});
      expect(a.data!.generation).not.toBe(b.data!.generation);
    });
  });

  describe('canary_promote', () => {
    it('refuses with ok false and leaves the lineage untouched when there is no canary', async () => {
      const before = fs.readFileSync(path.join(dir, WORKSPACE_PATHS.lineage), 'utf8');
      const res = await sim.handleCommand('canary_promote', {});
      expect(res).toMatchObject({ ok: false, message: 'no canary generation to promote' });
      expect(fs.readFileSync(path.join(dir, WORKSPACE_PATHS.lineage), 'utf8')).toBe(before);
    });

    it('makes the canary active and retires the previous active, in lineage and telemetry labels', async () => {
      const canary = await makeCanary();
      const previous = activeId();
      const res = await sim.handleCommand('canary_promote', {});
      expect(res).toMatchObject({ ok: true, data: { generation: canary, previous } });
      expect(statusOf(canary)).toBe('active');
      expect(statusOf(previous)).toBe('retired');
      expect(telemetry().labels.generation).toBe(canary);
      expect(lineage().active_history.at(-1)).toBe(canary);
    });
  });

  describe('candidate evaluation', () => {
    it('keeps a candidate that passed evaluation waiting while the canary slot is taken, then deploys it', async () => {
      const canary = await makeCanary();
      let waiting: string | undefined;
      for (let attempt = 0; attempt < 20 && !waiting; attempt++) {
        const id = (await sim.handleCommand('retrain', {})).data!.generation as string;
        tick(1);
        if (
          lineage()
            .generations.find((g) => g.id === id)!
            .notes.includes('waiting for the canary slot')
        )
          waiting = id;
      }
      expect(waiting).toBeDefined();
      tick(30); // canaryTicks is 100 here, so the canary keeps its slot
      expect(statusOf(waiting!)).toBe('candidate');
      expect(statusOf(canary)).toBe('canary');

      await sim.handleCommand('canary_promote', {});
      tick(1);
      expect(statusOf(waiting!)).toBe('canary');
    });
  });

  describe('rollback', () => {
    it('re-activates the previously active generation when no target is given', async () => {
      const original = activeId();
      const canary = await makeCanary();
      await sim.handleCommand('canary_promote', {});
      const res = await sim.handleCommand('rollback', {});
      expect(res).toMatchObject({ ok: true, data: { generation: original, previous: canary } });
      expect(statusOf(original)).toBe('active');
      expect(statusOf(canary)).toBe('retired');
      expect(telemetry().labels.generation).toBe(original);
    });

    it('re-activates the generation named in params.target', async () => {
      const res = await sim.handleCommand('rollback', { target: 'gen-0001' });
      expect(res.ok).toBe(true);
      expect(activeId()).toBe('gen-0001');
      expect(telemetry().labels.generation).toBe('gen-0001');
    });

    it('refuses an unknown target, a failed generation and a non-string target without changing anything', async () => {
      const before = fs.readFileSync(path.join(dir, WORKSPACE_PATHS.lineage), 'utf8');
      const failed = lineage().generations.find((g) => g.status === 'failed')!.id;
      expect(await sim.handleCommand('rollback', { target: 'gen-9999' })).toMatchObject({ ok: false });
      expect(await sim.handleCommand('rollback', { target: failed })).toMatchObject({ ok: false });
      expect(await sim.handleCommand('rollback', { target: 3 })).toMatchObject({ ok: false });
      expect(fs.readFileSync(path.join(dir, WORKSPACE_PATHS.lineage), 'utf8')).toBe(before);
    });
  });

  it('acknowledges flush_guardrails without touching the workspace', async () => {
    const before = fs.readFileSync(path.join(dir, WORKSPACE_PATHS.telemetry), 'utf8');
    const res = await sim.handleCommand('flush_guardrails', {});
    expect(res.ok).toBe(true);
    expect(fs.readFileSync(path.join(dir, WORKSPACE_PATHS.telemetry), 'utf8')).toBe(before);
  });

  it('answers an unknown action with ok false', async () => {
    const res = await sim.handleCommand('launch_missiles', {});
    expect(res.ok).toBe(false);
    expect(res.message).toContain('unknown action');
  });

  it('resolves to ok false instead of rejecting when the workspace cannot be written', async () => {
    // A file where the telemetry folder should be makes every telemetry write fail.
    fs.rmSync(path.join(dir, 'telemetry'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'telemetry'), 'not a folder');
    const res = await sim.handleCommand('kill', {});
    expect(res.ok).toBe(false);
    expect(res.message).toMatch(/^kill failed: /);
    expect(sim.getState().killed).toBe(false);

    fs.rmSync(path.join(dir, 'telemetry'));
    expect(await sim.handleCommand('kill', {})).toMatchObject({ ok: true, message: 'trading stopped' });
    expect(telemetry().metrics.state_active).toBe(0);
  });
});
