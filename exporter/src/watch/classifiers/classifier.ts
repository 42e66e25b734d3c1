import { createHash } from 'node:crypto';

/** The four sub-folders of the workspace, each with its own classifier (ARCHITECTURE §3). */
export const CLASSIFIERS = ['activity', 'lineage', 'calibration', 'telemetry'] as const;
export type ClassifierName = (typeof CLASSIFIERS)[number];

/** Label values of `lookout_watcher_errors_total{reason}`. */
export const ERROR_REASONS = ['parse', 'schema', 'too_large', 'outside_root', 'permission', 'binary', 'io'] as const;
export type ErrorReason = (typeof ERROR_REASONS)[number];

/** A file as read from the workspace: what every classifier is given. */
export interface FileContent {
  /** Relative to the watch root, `/` separated. */
  relPath: string;
  bytes: Buffer;
  size: number;
  mtimeMs: number;
}

/** Why a file's content was refused; carried as a value, never thrown out of a classifier. */
export class ClassifyError extends Error {
  override name = 'ClassifyError';
  constructor(
    readonly reason: ErrorReason,
    message: string,
    readonly details: Record<string, unknown> = {}
  ) {
    super(message);
  }
}

export type Classified<T> = { ok: true; value: T } | { ok: false; error: ClassifyError };

export const ok = <T>(value: T): Classified<T> => ({ ok: true, value });
export const fail = <T>(
  reason: ErrorReason,
  message: string,
  details: Record<string, unknown> = {}
): Classified<T> => ({
  ok: false,
  error: new ClassifyError(reason, message, details),
});

export function sha256Hex(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const BINARY_SNIFF_BYTES = 8192;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A NUL byte in the first 8 KiB is the usual tell of a binary file (what git and grep use). */
export function looksBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}

/**
 * Decodes JSON with the failure kinds the watcher counts: `binary` for non-text content,
 * `parse` for empty, truncated or otherwise malformed JSON.
 */
export function decodeJson(bytes: Buffer): Classified<unknown> {
  if (looksBinary(bytes)) return fail('binary', 'binary content where JSON was expected');
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return fail('binary', 'content is not valid UTF-8');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (!text.trim()) return fail('parse', 'empty file (truncated or still being written)');
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (err) {
    return fail('parse', `invalid JSON: ${(err as Error).message}`, { error: (err as Error).message });
  }
}

/** zod issues reduced to what an operator needs: the field path and the message. */
export function issuesOf(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): {
  path: string;
  message: string;
}[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
