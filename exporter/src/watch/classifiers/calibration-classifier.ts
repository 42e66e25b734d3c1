import path from 'node:path';
import { z } from 'zod';
import {
  type Classified,
  type FileContent,
  decodeJson,
  fail,
  issuesOf,
  looksBinary,
  ok,
  sha256Hex,
} from './classifier';

/** Image extensions served by the gallery, with the content type each is served as. */
export const IMAGE_CONTENT_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  svg: 'image/svg+xml',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
};
export const ARTIFACT_KIND = 'calibration';

export interface CalibrationPath {
  generation: string;
  /** File name without its extension; the metadata JSON shares it. */
  name: string;
  ext: string;
  role: 'image' | 'meta';
}

/** `calibration/<generation>/<name>.<png|svg|jpg|jpeg|json>`; anything else is not a calibration file. */
export function parseCalibrationPath(relPath: string): CalibrationPath | null {
  const parts = relPath.split('/');
  if (parts.length !== 3 || parts[0] !== 'calibration') return null;
  const file = parts[2]!;
  const ext = path.posix.extname(file).slice(1).toLowerCase();
  const name = file.slice(0, file.length - ext.length - 1);
  if (!name || !parts[1]) return null;
  if (ext === 'json') return { generation: parts[1], name, ext, role: 'meta' };
  if (IMAGE_CONTENT_TYPES[ext]) return { generation: parts[1], name, ext, role: 'image' };
  return null;
}

/** Stable across restarts and re-ingests: the API's image URL must not change when the file does. */
export function artifactIdOf(relPath: string): string {
  return sha256Hex(relPath).slice(0, 24);
}

/** The images a `<name>.json` describes: any image beside it with the same name. */
export function imagePathsForMeta(metaRelPath: string): string[] {
  const dir = path.posix.dirname(metaRelPath);
  const stem = path.posix.basename(metaRelPath).replace(/\.json$/i, '');
  return Object.keys(IMAGE_CONTENT_TYPES).map((ext) => `${dir}/${stem}.${ext}`);
}

export function metaPathForImage(imageRelPath: string): string {
  return imageRelPath.replace(/\.[^./]+$/, '.json');
}

/** The metadata JSON beside an image; unknown fields are kept. */
export const calibrationMetaSchema = z.looseObject({
  title: z.string().optional(),
  metric: z.string().optional(),
  created_at: z.string().optional(),
});
export type CalibrationMeta = z.infer<typeof calibrationMetaSchema>;

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);

/** What the bytes are, by their magic numbers (a file's extension is only a claim). */
export function sniffImageType(bytes: Buffer): string | null {
  if (bytes.subarray(0, 8).equals(PNG_MAGIC)) return 'image/png';
  if (bytes.subarray(0, 3).equals(JPEG_MAGIC)) return 'image/jpeg';
  if (!looksBinary(bytes)) {
    const head = bytes
      .subarray(0, 4096)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trimStart();
    if (head.startsWith('<') && /<svg[\s>]/i.test(head)) return 'image/svg+xml';
  }
  return null;
}

export interface CalibrationImage {
  id: string;
  generation: string;
  name: string;
  content_type: string;
  size: number;
  mtime_ms: number;
  etag: string;
  meta: Record<string, unknown>;
}

/** An image whose bytes match its extension becomes an artifact; a mismatch is refused and not served. */
export function classifyCalibrationImage(
  file: FileContent,
  meta: CalibrationMeta | null
): Classified<CalibrationImage> {
  const p = parseCalibrationPath(file.relPath);
  if (!p || p.role !== 'image') return fail('io', `not a calibration image path: ${file.relPath}`);
  const expected = IMAGE_CONTENT_TYPES[p.ext]!;
  const detected = sniffImageType(file.bytes);
  if (detected !== expected) {
    return fail('parse', `content is not ${expected}`, { expected, detected: detected ?? 'unknown' });
  }
  return ok({
    id: artifactIdOf(file.relPath),
    generation: p.generation,
    name: p.name,
    content_type: expected,
    size: file.size,
    mtime_ms: Math.trunc(file.mtimeMs),
    // A content hash, so an unchanged image re-written keeps its ETag and clients keep their cache.
    etag: sha256Hex(file.bytes).slice(0, 32),
    meta: meta ?? {},
  });
}

export function classifyCalibrationMeta(file: FileContent): Classified<CalibrationMeta> {
  const decoded = decodeJson(file.bytes);
  if (!decoded.ok) return decoded;
  const parsed = calibrationMetaSchema.safeParse(decoded.value);
  if (!parsed.success)
    return fail('schema', 'calibration metadata does not match the schema', { issues: issuesOf(parsed.error) });
  return ok(parsed.data);
}
