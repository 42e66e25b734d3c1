import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import {
  CHART_HEIGHT,
  CHART_WIDTH,
  WORKSPACE_PATHS,
  renderCalibrationCharts,
  type Kpis,
  type LineageIndex,
} from '../src';
import { SimulatorPool, makeWorkspace, readJson, removeWorkspace } from './helpers';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const GOOD: Kpis = { sharpe: 1.6, hit_rate: 0.6, max_drawdown: 0.06, calibration_error: 0.01, turnover: 2 };
const POOR: Kpis = { sharpe: 0.4, hit_rate: 0.48, max_drawdown: 0.3, calibration_error: 0.12, turnover: 5 };

function chart(seed: number, id: string, kpis: Kpis, name: string): Buffer {
  const found = renderCalibrationCharts(seed, id, kpis).find((c) => c.name === name);
  if (!found) throw new Error(`no chart ${name}`);
  return found.png;
}

function pixel(png: PNG, x: number, y: number): [number, number, number] {
  const i = (y * png.width + x) * 4;
  return [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
}

describe('calibration images', () => {
  let dir: string;
  const pool = new SimulatorPool();

  beforeAll(async () => {
    dir = await makeWorkspace();
  });

  afterAll(async () => {
    pool.stopAll();
    await removeWorkspace(dir);
  });

  it('writes valid PNGs of 320x240 for every generation in the lineage', async () => {
    const sim = pool.create({ workspace: dir, seed: 9, autopilot: false });
    await sim.handleCommand('retrain', {});
    const lineage = readJson<LineageIndex>(path.join(dir, WORKSPACE_PATHS.lineage));
    const pngs = lineage.generations.flatMap((g) => g.artifacts).filter((a) => a.endsWith('.png'));
    expect(pngs.length).toBe(lineage.generations.length * 3);
    for (const rel of pngs) {
      const bytes = fs.readFileSync(path.join(dir, rel));
      expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      const png = PNG.sync.read(bytes);
      expect([png.width, png.height]).toEqual([CHART_WIDTH, CHART_HEIGHT]);
      expect(bytes.length).toBeLessThan(64 * 1024);
    }
  });

  it.each(['reliability', 'pnl_heatmap', 'confusion'])(
    'draws different %s pixels for generations with different KPIs',
    (name) => {
      const a = PNG.sync.read(chart(1, 'gen-0001', GOOD, name));
      const b = PNG.sync.read(chart(1, 'gen-0001', POOR, name));
      let differing = 0;
      for (let i = 0; i < a.data.length; i += 4) if (a.data.readUInt32BE(i) !== b.data.readUInt32BE(i)) differing += 1;
      // More than a title change: the plotted data itself moved.
      expect(differing).toBeGreaterThan(500);
    }
  );

  it('draws the perfect-calibration diagonal on the reliability curve', () => {
    const png = PNG.sync.read(chart(1, 'gen-0001', GOOD, 'reliability'));
    const background = pixel(png, 2, 120);
    // Plot area from (34, 208) to (310, 28); the dashed diagonal is drawn in the axis colour.
    let onDiagonal = 0;
    for (let t = 0.05; t < 0.95; t += 0.01) {
      const x = Math.round(34 + t * 276);
      const y = Math.round(208 - t * 180);
      if (pixel(png, x, y).join() !== background.join()) onDiagonal += 1;
    }
    expect(onDiagonal).toBeGreaterThan(40);
  });

  it('renders identical bytes for the same seed and generation, and different ones for another seed', () => {
    expect(chart(7, 'gen-0003', GOOD, 'pnl_heatmap').equals(chart(7, 'gen-0003', GOOD, 'pnl_heatmap'))).toBe(true);
    expect(chart(7, 'gen-0003', GOOD, 'pnl_heatmap').equals(chart(8, 'gen-0003', GOOD, 'pnl_heatmap'))).toBe(false);
  });
});
