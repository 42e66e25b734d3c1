import { Prng, hashSeed } from './prng';
import { Raster, mix, type Rgb } from './raster';
import type { Kpis } from './types';

export const CHART_WIDTH = 320;
export const CHART_HEIGHT = 240;

/** One rendered calibration image and the metadata that goes beside it. */
export interface CalibrationChart {
  /** File stem: written as `<name>.png` and `<name>.json`. */
  name: string;
  title: string;
  metric: string;
  value: number;
  png: Buffer;
}

// Colours close to Grafana's dark theme so the images sit well in the gallery panel.
const BG: Rgb = [24, 27, 31];
const GRID: Rgb = [48, 52, 58];
const AXIS: Rgb = [120, 124, 130];
const TEXT: Rgb = [204, 204, 220];
const MUTED: Rgb = [142, 142, 160];
const BLUE: Rgb = [87, 148, 242];
const BAR: Rgb = [50, 66, 92];
const RED: Rgb = [242, 73, 92];
const GREEN: Rgb = [115, 191, 105];
const NEUTRAL: Rgb = [44, 48, 56];

const VENUES = ['CME', 'ICE', 'EUREX', 'LSE', 'NSDQ', 'ARCA'] as const;
const SIDES = ['SELL', 'HOLD', 'BUY'] as const;

/**
 * Draws the calibration images of one generation from its KPIs. The pixels depend only on
 * (seed, generation id, KPIs): each chart has its own sub-generator so re-rendering a generation, or
 * rendering generations in a different order, gives identical bytes.
 */
export function renderCalibrationCharts(seed: number, generationId: string, kpis: Kpis): CalibrationChart[] {
  const rngFor = (chart: string): Prng => new Prng(hashSeed(`${seed}:${generationId}:${chart}`));
  return [
    reliabilityChart(rngFor('reliability'), generationId, kpis),
    pnlHeatmap(rngFor('pnl_heatmap'), generationId, kpis),
    confusionChart(rngFor('confusion'), generationId, kpis),
  ];
}

function clamp01(v: number): number {
  return Math.min(1, Math.max(0, v));
}

function title(r: Raster, text: string, right: string): void {
  r.text(8, 6, text, TEXT, 2);
  r.text(CHART_WIDTH - 8 - Raster.textWidth(right), 10, right, MUTED);
}

/** Reliability curve: observed hit frequency per confidence bin against the perfect-calibration diagonal. */
function reliabilityChart(rng: Prng, id: string, kpis: Kpis): CalibrationChart {
  const r = new Raster(CHART_WIDTH, CHART_HEIGHT, BG);
  const x0 = 34;
  const y0 = 28;
  const x1 = 310;
  const y1 = 208;
  const px = (p: number): number => x0 + p * (x1 - x0);
  const py = (p: number): number => y1 - p * (y1 - y0);

  for (let i = 0; i <= 5; i++) {
    const p = i / 5;
    r.line(px(p), y0, px(p), y1, GRID);
    r.line(x0, py(p), x1, py(p), GRID);
    const label = p.toFixed(1);
    r.text(px(p) - Raster.textWidth(label) / 2, y1 + 5, label, MUTED);
    r.text(x0 - 4 - Raster.textWidth(label), py(p) - 2, label, MUTED);
  }

  // Confidence histogram in the lower quarter: how many decisions fall in each bin.
  const bins = 10;
  const counts = Array.from({ length: bins }, (_, i) => {
    const centre = (i + 0.5) / bins;
    // Sharper policies put more mass at the extremes.
    const spread = 0.5 + Math.min(1.5, kpis.sharpe) * 0.4;
    return (
      Math.exp(-((centre - 0.5) ** 2) / (0.08 * spread)) * 0.4 + Math.abs(centre - 0.5) * spread + rng.range(0, 0.2)
    );
  });
  const maxCount = Math.max(...counts);
  const binWidth = (x1 - x0) / bins;
  counts.forEach((c, i) => {
    const h = (c / maxCount) * (y1 - y0) * 0.25;
    r.rect(x0 + i * binWidth + 2, y1 - h, binWidth - 4, h, BAR);
  });

  r.line(x0, y1, x0, y0, AXIS);
  r.line(x0, y1, x1, y1, AXIS);
  r.line(px(0), py(0), px(1), py(1), AXIS, 1, 4);

  // An over-confident policy flattens the curve towards 0.5; the calibration error sets how much.
  const flatten = Math.min(0.7, kpis.calibration_error * 5);
  const bias = (kpis.hit_rate - 0.5) * 0.15;
  const points = counts.map((_, i) => {
    const predicted = (i + 0.5) / bins;
    const observed = clamp01(
      0.5 + (predicted - 0.5) * (1 - flatten) + bias + rng.normal(0, kpis.calibration_error * 0.4)
    );
    return [px(predicted), py(observed)] as const;
  });
  for (let i = 1; i < points.length; i++) {
    const [ax, ay] = points[i - 1]!;
    const [bx, by] = points[i]!;
    r.line(ax, ay, bx, by, BLUE, 2);
  }
  for (const [x, y] of points) r.disc(x, y, 3, BLUE);

  r.text(x0 + 4, y0 + 4, 'OBSERVED', MUTED);
  r.text((x0 + x1) / 2 - Raster.textWidth('PREDICTED') / 2, 226, 'PREDICTED', MUTED);
  title(r, `RELIABILITY ${id}`, `ECE ${(kpis.calibration_error * 100).toFixed(1)}%`);
  return {
    name: 'reliability',
    title: `Reliability curve (${id})`,
    metric: 'calibration_error',
    value: kpis.calibration_error,
    png: r.encode(),
  };
}

function compactNumber(v: number): string {
  const abs = Math.abs(v);
  const text = abs >= 1000 ? `${(abs / 1000).toFixed(1)}K` : abs.toFixed(0);
  return `${v < 0 ? '-' : '+'}${text}`;
}

/** Realised PnL by hour of day (UTC) and venue; green earns, red loses. */
function pnlHeatmap(rng: Prng, id: string, kpis: Kpis): CalibrationChart {
  const r = new Raster(CHART_WIDTH, CHART_HEIGHT, BG);
  const x0 = 44;
  const y0 = 30;
  const cellW = 11;
  const cellH = 25;
  const hours = 24;
  const x1 = x0 + hours * cellW;
  const y1 = y0 + VENUES.length * cellH;

  const venueEdge = VENUES.map(() => rng.normal(0, 20));
  const noise = 15 + kpis.max_drawdown * 150;
  const cells = VENUES.map((_, v) =>
    Array.from({ length: hours }, (_, h) => {
      // Most of the edge is earned while the main sessions (07–17 UTC) overlap.
      const session = h >= 7 && h <= 17 ? Math.sin((Math.PI * (h - 7)) / 10) : 0;
      return kpis.sharpe * 60 * (0.2 + session) + venueEdge[v]! + rng.normal(0, noise);
    })
  );
  const maxAbs = Math.max(1, ...cells.flat().map(Math.abs));

  cells.forEach((row, v) => {
    row.forEach((value, h) => {
      const colour = value >= 0 ? mix(NEUTRAL, GREEN, value / maxAbs) : mix(NEUTRAL, RED, -value / maxAbs);
      r.rect(x0 + h * cellW, y0 + v * cellH, cellW - 1, cellH - 1, colour);
    });
    const venue = VENUES[v]!;
    r.text(x0 - 6 - Raster.textWidth(venue), y0 + v * cellH + cellH / 2 - 2, venue, MUTED);
  });
  for (let h = 0; h < hours; h += 6) {
    const label = String(h).padStart(2, '0');
    r.text(x0 + h * cellW, y1 + 4, label, MUTED);
  }
  r.text(x1 - Raster.textWidth('HOUR UTC'), y1 + 4, 'HOUR UTC', MUTED);

  // Colour legend: -max … 0 … +max.
  const ly = 210;
  for (let x = x0; x < x1; x++) {
    const t = ((x - x0) / (x1 - x0)) * 2 - 1;
    r.line(x, ly, x, ly + 7, t >= 0 ? mix(NEUTRAL, GREEN, t) : mix(NEUTRAL, RED, -t));
  }
  r.text(x0, ly + 11, compactNumber(-maxAbs), MUTED);
  r.text((x0 + x1) / 2 - 2, ly + 11, '0', MUTED);
  const maxLabel = compactNumber(maxAbs);
  r.text(x1 - Raster.textWidth(maxLabel), ly + 11, maxLabel, MUTED);

  const total = cells.flat().reduce((a, b) => a + b, 0);
  title(r, `PNL HOUR X VENUE`, `${id} ${compactNumber(total)}`);
  return { name: 'pnl_heatmap', title: `PnL by hour and venue (${id})`, metric: 'pnl', value: total, png: r.encode() };
}

/** Confusion matrix of the policy's side decisions, rows normalised; the diagonal follows the hit rate. */
function confusionChart(rng: Prng, id: string, kpis: Kpis): CalibrationChart {
  const r = new Raster(CHART_WIDTH, CHART_HEIGHT, BG);
  const cell = 54;
  const x0 = 110;
  const y0 = 34;

  const matrix = SIDES.map((_, actual) => {
    const hit = clamp01(kpis.hit_rate + rng.normal(0, 0.04));
    const split = rng.range(0.3, 0.7);
    const miss = 1 - hit;
    let k = 0;
    return SIDES.map((_, predicted) => {
      if (predicted === actual) return hit;
      k += 1;
      return k === 1 ? miss * split : miss * (1 - split);
    });
  });

  matrix.forEach((row, a) => {
    row.forEach((share, p) => {
      const colour = mix(NEUTRAL, BLUE, share);
      const x = x0 + p * cell;
      const y = y0 + a * cell;
      r.rect(x, y, cell - 2, cell - 2, colour);
      const label = `${Math.round(share * 100)}%`;
      const ink: Rgb = share > 0.55 ? [255, 255, 255] : TEXT;
      r.text(x + (cell - 2) / 2 - Raster.textWidth(label, 2) / 2, y + (cell - 2) / 2 - 5, label, ink, 2);
    });
    const side = SIDES[a]!;
    r.text(x0 - 8 - Raster.textWidth(side, 2), y0 + a * cell + cell / 2 - 6, side, MUTED, 2);
  });
  SIDES.forEach((side, p) => {
    r.text(x0 + p * cell + (cell - 2) / 2 - Raster.textWidth(side) / 2, y0 + 3 * cell + 4, side, MUTED);
  });
  r.text(x0 + (3 * cell) / 2 - Raster.textWidth('PREDICTED') / 2, y0 + 3 * cell + 14, 'PREDICTED', MUTED);
  r.text(8, y0 + 3 * cell + 14, 'ROWS: ACTUAL', MUTED);
  title(r, `CONFUSION ${id}`, `HIT ${(kpis.hit_rate * 100).toFixed(1)}%`);
  return {
    name: 'confusion',
    title: `Decision confusion matrix (${id})`,
    metric: 'hit_rate',
    value: kpis.hit_rate,
    png: r.encode(),
  };
}
