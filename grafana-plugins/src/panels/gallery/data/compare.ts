import type { CalibrationImage } from '../../../api';

export interface ImagePair {
  key: string;
  a?: CalibrationImage;
  b?: CalibrationImage;
}

/** Pairs two generations' images by `kind/name`, keeping A's order and appending B-only images. */
export function pairByName(a: CalibrationImage[], b: CalibrationImage[]): ImagePair[] {
  const key = (i: CalibrationImage): string => `${i.kind}/${i.name}`;
  const out = new Map<string, ImagePair>();
  for (const i of a) {
    out.set(key(i), { key: key(i), a: i });
  }
  for (const i of b) {
    const k = key(i);
    out.set(k, { ...(out.get(k) ?? { key: k }), b: i });
  }
  return Array.from(out.values());
}

export function distinct(values: string[]): string[] {
  return Array.from(new Set(values.filter(Boolean))).sort();
}
