import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Thrown for a duration text that is not `<number><ms|s|m|h|d>`. */
export class DurationError extends Error {
  override name = 'DurationError';
}

/** `"30s"`, `"10m"`, `"1h"`, `"250ms"` or a number of milliseconds → milliseconds. */
export function parseDuration(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new DurationError(`duration must be a non-negative number, got ${v}`);
    return v;
  }
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h|d)\s*$/.exec(v);
  if (!m) throw new DurationError(`duration ${JSON.stringify(v)} must look like 250ms, 30s, 10m, 1h or 1d`);
  return Math.round(Number(m[1]) * UNITS[m[2]!]!);
}

/** A zod duration: accepts the text or a number of milliseconds, yields milliseconds. */
export const durationSchema = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});
