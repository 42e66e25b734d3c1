import { PNG } from 'pngjs';

/** An RGB colour, each channel 0–255. */
export type Rgb = readonly [number, number, number];

// A 3×5 pixel font, enough for titles, axis ticks and cell values; each glyph is five rows of three bits.
const GLYPHS: Record<string, string> = {
  '0': '111101101101111',
  '1': '010110010010111',
  '2': '111001111100111',
  '3': '111001111001111',
  '4': '101101111001001',
  '5': '111100111001111',
  '6': '111100111101111',
  '7': '111001010010010',
  '8': '111101111101111',
  '9': '111101111001111',
  A: '010101111101101',
  B: '110101110101110',
  C: '011100100100011',
  D: '110101101101110',
  E: '111100110100111',
  F: '111100110100100',
  G: '011100101101011',
  H: '101101111101101',
  I: '111010010010111',
  J: '001001001101010',
  K: '101101110101101',
  L: '100100100100111',
  M: '101111111101101',
  N: '110101101101101',
  O: '010101101101010',
  P: '110101110100100',
  Q: '010101101110011',
  R: '110101110101101',
  S: '011100010001110',
  T: '111010010010010',
  U: '101101101101111',
  V: '101101101101010',
  W: '101101111111101',
  X: '101101010101101',
  Y: '101101010010010',
  Z: '111001010100111',
  '-': '000000111000000',
  '+': '000010111010000',
  '.': '000000000000010',
  ':': '000010000010000',
  '=': '000111000111000',
  '/': '001001010100100',
  '%': '101001010100101',
  _: '000000000000111',
  ' ': '000000000000000',
};

/** An RGBA pixel buffer with the few primitives the calibration charts need. */
export class Raster {
  readonly png: PNG;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb
  ) {
    this.png = new PNG({ width, height });
    this.rect(0, 0, width, height, background);
  }

  set(x: number, y: number, [r, g, b]: Rgb): void {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= this.width || yi >= this.height) return;
    const i = (yi * this.width + xi) * 4;
    this.png.data[i] = r;
    this.png.data[i + 1] = g;
    this.png.data[i + 2] = b;
    this.png.data[i + 3] = 255;
  }

  get(x: number, y: number): Rgb {
    const i = (y * this.width + x) * 4;
    return [this.png.data[i] ?? 0, this.png.data[i + 1] ?? 0, this.png.data[i + 2] ?? 0];
  }

  rect(x: number, y: number, w: number, h: number, [r, g, b]: Rgb): void {
    // Clipped once up front: rectangles cover most pixels, so this loop is the hot path.
    const xStart = Math.max(0, Math.round(x));
    const xEnd = Math.min(this.width, Math.round(x + w));
    const yStart = Math.max(0, Math.round(y));
    const yEnd = Math.min(this.height, Math.round(y + h));
    const data = this.png.data;
    for (let yy = yStart; yy < yEnd; yy++) {
      for (let i = (yy * this.width + xStart) * 4, end = (yy * this.width + xEnd) * 4; i < end; i += 4) {
        data[i] = r;
        data[i + 1] = g;
        data[i + 2] = b;
        data[i + 3] = 255;
      }
    }
  }

  /** A line of the given thickness; `dash` > 0 draws `dash` pixels on, `dash` off. */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb, thickness = 1, dash = 0): void {
    const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0)));
    const half = (thickness - 1) / 2;
    for (let s = 0; s <= steps; s++) {
      if (dash > 0 && Math.floor(s / dash) % 2 === 1) continue;
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      for (let dy = -half; dy <= half; dy++) {
        for (let dx = -half; dx <= half; dx++) this.set(x + dx, y + dy, color);
      }
    }
  }

  disc(cx: number, cy: number, radius: number, color: Rgb): void {
    for (let dy = -radius; dy <= radius; dy++) {
      for (let dx = -radius; dx <= radius; dx++) {
        if (dx * dx + dy * dy <= radius * radius) this.set(cx + dx, cy + dy, color);
      }
    }
  }

  /** Upper-case text in the built-in 3×5 font; characters it lacks are drawn as blanks. */
  text(x: number, y: number, value: string, color: Rgb, scale = 1): void {
    let cursor = x;
    for (const ch of value.toUpperCase()) {
      const glyph = GLYPHS[ch] ?? GLYPHS[' ']!;
      for (let i = 0; i < 15; i++) {
        if (glyph[i] === '1') this.rect(cursor + (i % 3) * scale, y + Math.floor(i / 3) * scale, scale, scale, color);
      }
      cursor += 4 * scale;
    }
  }

  /** Width in pixels of `value` drawn with `text()` at `scale`. */
  static textWidth(value: string, scale = 1): number {
    return value.length === 0 ? 0 : (value.length * 4 - 1) * scale;
  }

  /** PNG bytes; deterministic for the same pixels. */
  encode(): Buffer {
    // The "Up" filter only: pngjs's adaptive filter choice (and its RGB repacking) cost 50-100x more CPU
    // in pure JS for a few kilobytes less on flat-coloured charts; ~14 KB per chart is small enough.
    return PNG.sync.write(this.png, { filterType: 2 });
  }
}

/** Linear blend between two colours, `t` in [0, 1]. */
export function mix(a: Rgb, b: Rgb, t: number): Rgb {
  const k = Math.min(1, Math.max(0, t));
  return [
    Math.round(a[0] + (b[0] - a[0]) * k),
    Math.round(a[1] + (b[1] - a[1]) * k),
    Math.round(a[2] + (b[2] - a[2]) * k),
  ];
}
