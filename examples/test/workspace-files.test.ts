import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  WORKSPACE_PATHS,
  type CalibrationMetadata,
  type LineageIndex,
  type LlmRecord,
  type PropagationRecord,
  type TaskRecord,
  type TelemetrySample,
  type TelemetrySnapshot,
  SYMBOLS,
  VENUES,
} from '../src';
import { FakeClock, SimulatorPool, listFiles, makeWorkspace, readJson, removeWorkspace } from './helpers';

const STATUSES = ['candidate', 'canary', 'active', 'retired', 'failed'];
const METRICS = [
  'drift_score',
  'policy_confidence',
  'pnl_realized',
  'pnl_unrealized',
  'pnl_drawdown',
  'order_fill_ratio',
  'state_active',
  'policy_reward',
  'policy_entropy',
  'win_rate',
  'portfolio_volatility',
];

describe('workspace files', () => {
  let dir: string;
  const pool = new SimulatorPool();
  const clock = new FakeClock();

  beforeAll(async () => {
    dir = await makeWorkspace();
    const sim = pool.create({ workspace: dir, seed: 42, now: clock.now, evaluationTicks: 2, canaryTicks: 3 });
    for (let i = 0; i < 120; i++) {
      clock.advance(2000);
      sim.tick();
    }
  });

  afterAll(async () => {
    pool.stopAll();
    await removeWorkspace(dir);
  });

  it('writes a lineage index whose generations have the documented fields and valid parents', () => {
    const lineage = readJson<LineageIndex>(path.join(dir, WORKSPACE_PATHS.lineage));
    expect(lineage.model).toBe('momentum-policy');
    expect(lineage.generations.length).toBeGreaterThan(3);
    const ids = new Set(lineage.generations.map((g) => g.id));
    for (const g of lineage.generations) {
      expect(typeof g.id).toBe('string');
      expect(g.parent === null || ids.has(g.parent)).toBe(true);
      expect(Number.isNaN(Date.parse(g.created_at))).toBe(false);
      expect(STATUSES).toContain(g.status);
      for (const k of ['sharpe', 'hit_rate', 'max_drawdown', 'calibration_error']) {
        expect(typeof (g.kpis as unknown as Record<string, unknown>)[k]).toBe('number');
      }
      expect(typeof g.notes).toBe('string');
      expect(g.artifacts.length).toBeGreaterThan(0);
      for (const artifact of g.artifacts) expect(fs.existsSync(path.join(dir, artifact))).toBe(true);
    }
    expect(lineage.generations.filter((g) => g.status === 'active')).toHaveLength(1);
    expect(lineage.generations.filter((g) => g.status === 'canary').length).toBeLessThanOrEqual(1);
  });

  it('grows the lineage over time with children of the active generation', () => {
    const lineage = readJson<LineageIndex>(path.join(dir, WORKSPACE_PATHS.lineage));
    const later = lineage.generations.slice(3);
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((g) => g.parent !== null && lineage.active_history.includes(g.parent))).toBe(true);
  });

  it('writes a telemetry snapshot with every workload metric as a number and the model labels', () => {
    const snap = readJson<TelemetrySnapshot>(path.join(dir, WORKSPACE_PATHS.telemetry));
    expect(snap.ts).toBe(new Date(clock.ms).toISOString());
    expect(Object.keys(snap.metrics).sort()).toEqual([...METRICS].sort());
    for (const name of METRICS)
      expect(Number.isFinite((snap.metrics as unknown as Record<string, number>)[name])).toBe(true);
    expect(snap.metrics.state_active).toBe(1);
    expect(snap.metrics.pnl_drawdown).toBeGreaterThanOrEqual(0);
    const lineage = readJson<LineageIndex>(path.join(dir, WORKSPACE_PATHS.lineage));
    const active = lineage.generations.find((g) => g.status === 'active')!;
    expect(snap.labels).toEqual({ model: 'momentum-policy', generation: active.id });
  });

  it('writes one labeled sample per venue and per symbol, counters that never go down', () => {
    const snap = readJson<TelemetrySnapshot>(path.join(dir, WORKSPACE_PATHS.telemetry));
    const by = (name: string): TelemetrySample[] => snap.samples.filter((s) => s.name === name);
    expect(by('venue_latency_ms').map((s) => s.labels['venue'])).toEqual([...VENUES]);
    expect(by('venue_orders_total').map((s) => s.labels['venue'])).toEqual([...VENUES]);
    expect(by('venue_orders_total').every((s) => s.type === 'counter' && s.value >= 0)).toBe(true);
    expect(by('symbol_position').map((s) => s.labels['symbol'])).toEqual([...SYMBOLS]);
    for (const c of by('symbol_correlation')) expect(Math.abs(c.value)).toBeLessThanOrEqual(1);
    expect(snap.samples).toHaveLength(2 * VENUES.length + 2 * SYMBOLS.length);
    for (const s of snap.samples) expect(Number.isFinite(s.value)).toBe(true);
  });

  it('writes a metadata JSON beside every calibration image', () => {
    const files = listFiles(path.join(dir, WORKSPACE_PATHS.calibration));
    const pngs = files.filter((f) => f.endsWith('.png'));
    expect(pngs.length).toBeGreaterThanOrEqual(2 * 4);
    for (const png of pngs) {
      const meta = readJson<CalibrationMetadata>(
        path.join(dir, WORKSPACE_PATHS.calibration, png.replace(/\.png$/, '.json'))
      );
      expect(meta.generation).toBe(path.dirname(png));
      expect(typeof meta.title).toBe('string');
      expect(typeof meta.metric).toBe('string');
      expect(Number.isNaN(Date.parse(meta.created_at))).toBe(false);
    }
    const gen1 = files.filter((f) => f.startsWith(`gen-0001${path.sep}`)).map((f) => path.basename(f));
    expect(gen1).toEqual(expect.arrayContaining(['reliability.png', 'pnl_heatmap.png', 'confusion.png']));
  });

  it('writes task files of the five classic types with a result once finished', () => {
    const tasksDir = path.join(dir, WORKSPACE_PATHS.tasks);
    const tasks = fs
      .readdirSync(tasksDir)
      .map((f) => ({ file: f, task: readJson<TaskRecord>(path.join(tasksDir, f)) }));
    expect(tasks.length).toBeGreaterThan(10);
    for (const { file, task } of tasks) {
      expect(file).toBe(`${task.id}.json`);
      expect(['analyze', 'refactor', 'document', 'test', 'process']).toContain(task.type);
      expect(['pending', 'running', 'completed', 'failed']).toContain(task.status);
      if (task.status === 'completed' || task.status === 'failed') expect(typeof task.result).toBe('string');
      else expect(task.result).toBeNull();
    }
    expect(tasks.some(({ task }) => task.status === 'completed')).toBe(true);
  });

  it('writes LLM logs whose file name starts with the model that answered', () => {
    const llmDir = path.join(dir, WORKSPACE_PATHS.llm);
    const files = fs.readdirSync(llmDir);
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const record = readJson<LlmRecord>(path.join(llmDir, file));
      expect(file).toMatch(/^(.+)-(\d+)\.json$/);
      expect(/^(.+)-\d+\.json$/.exec(file)![1]).toBe(record.model);
      expect(record.prompt.length).toBeGreaterThan(0);
      expect(record.response.length).toBeGreaterThan(0);
    }
  });

  it('writes propagation records with subsystem, pattern and status', () => {
    const propDir = path.join(dir, WORKSPACE_PATHS.propagation);
    const files = fs.readdirSync(propDir);
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      expect(file).toMatch(/^\d+\.json$/);
      const record = readJson<PropagationRecord>(path.join(propDir, file));
      expect(Object.keys(record).sort()).toEqual(['pattern', 'status', 'subsystem']);
    }
  });

  it('leaves no temp files behind', () => {
    expect(listFiles(dir).filter((f) => path.basename(f).startsWith('.') || f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('telemetry dynamics', () => {
  let dir: string;
  const pool = new SimulatorPool();

  beforeEach(async () => {
    dir = await makeWorkspace();
  });

  afterEach(async () => {
    pool.stopAll();
    await removeWorkspace(dir);
  });

  it('lets drift creep up while nothing retrains, and resets it after a retrain', async () => {
    const sim = pool.create({ workspace: dir, seed: 3, autopilot: false });
    const drift = (): number =>
      readJson<TelemetrySnapshot>(path.join(dir, WORKSPACE_PATHS.telemetry)).metrics.drift_score;
    sim.tick();
    const start = drift();
    for (let i = 0; i < 40; i++) sim.tick();
    const crept = drift();
    expect(crept).toBeGreaterThan(start + 0.05);

    await sim.handleCommand('retrain', {});
    expect(drift()).toBeLessThan(0.1);
  });

  it('keeps at most activityRetention files per activity class, dropping the oldest', () => {
    const sim = pool.create({ workspace: dir, seed: 5, activityRetention: 4, autopilot: false });
    for (let i = 0; i < 150; i++) sim.tick();
    for (const sub of [WORKSPACE_PATHS.tasks, WORKSPACE_PATHS.llm, WORKSPACE_PATHS.propagation]) {
      const files = fs.readdirSync(path.join(dir, sub));
      expect(files.length).toBeGreaterThan(0);
      expect(files.length).toBeLessThanOrEqual(4);
    }
    const tasks = fs.readdirSync(path.join(dir, WORKSPACE_PATHS.tasks));
    expect(tasks).not.toContain('task-000001.json');
  });
});
