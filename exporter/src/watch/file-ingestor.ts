import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { SidecarContext } from '../context';
import { EventLog } from '../events/event-log';
import type { EventInput } from '../events/event';
import { type LineageDoc, pointerOf } from '../store/lineage-repository';
import { type ClassifierName, type ClassifyError, type ErrorReason, type FileContent } from './classifiers/classifier';
import { type ActivityRecord, type ActivityRules, classifyActivity } from './classifiers/activity-classifier';
import { classifyLineage } from './classifiers/lineage-classifier';
import { classifyTelemetry } from './classifiers/telemetry-classifier';
import {
  ARTIFACT_KIND,
  type CalibrationMeta,
  artifactIdOf,
  classifyCalibrationImage,
  classifyCalibrationMeta,
  imagePathsForMeta,
  metaPathForImage,
  parseCalibrationPath,
} from './classifiers/calibration-classifier';
import { classifierFor } from './classifier-router';
import {
  type WatchedFile,
  type WatchedFilesRepository,
  type WatchedStatus,
  isUnchanged,
} from './watched-files-repository';

export type IngestOrigin = 'watch' | 'reconcile';

/**
 * What reading one file produced, committed later in a batch with others. `apply` runs the
 * store side effects (lineage, artifacts, telemetry) at commit time and returns the events.
 */
export interface IngestOutcome {
  relPath: string;
  classifier: ClassifierName;
  origin: IngestOrigin;
  /** The file's mtime, for the lag histogram; null for removals. */
  mtimeMs: number | null;
  /** The row to store, or null to forget the file. */
  row: WatchedFile | null;
  /** Errors to count (a refused file, or an activity payload that does not fit its class). */
  errors: ErrorReason[];
  /** True when the reconciliation scan found a change the watcher had not delivered. */
  recovered: boolean;
  apply(): { events: EventInput[]; appendedElsewhere: number };
}

/** What every outcome of one read file shares. */
type OutcomeBase = Pick<IngestOutcome, 'relPath' | 'classifier' | 'origin' | 'recovered' | 'mtimeMs'>;

const LINEAGE_KV_KEY = 'lineage:current';

const codeOf = (err: unknown): string => (err as NodeJS.ErrnoException | undefined)?.code ?? 'UNKNOWN';

type ReadResult =
  | { kind: 'ok'; bytes: Buffer; size: number; mtimeMs: number }
  | { kind: 'too_large'; size: number; mtimeMs: number }
  | { kind: 'not_file'; size: number; mtimeMs: number };

/**
 * Files up to this size are stat'ed and read with synchronous calls on the event loop (tens of
 * microseconds for a workspace file in the page cache). Asynchronous fs calls queue in libuv's
 * four-thread pool behind every other fs call in the process (chokidar's folder re-reads stat
 * every entry of a busy folder), which put seconds between a file's event and its read.
 * Larger files take the asynchronous path, so one big read never blocks the loop for long.
 */
export const SYNC_READ_MAX_BYTES = 256 * 1024;

interface ReadStep {
  buf: Buffer;
  offset: number;
  length: number;
  position: number;
}

/**
 * The bounded read once, without I/O, for the asynchronous and the synchronous reader: checks type and
 * size on the open descriptor's stat, yields each read to make and takes the bytes it returned. Reading
 * stops once the stat'ed size is in (plus one byte of headroom that tells a file that grew past the
 * limit while we read it): a file still growing sends another change event and is read again.
 */
function* boundedRead(st: fs.Stats, maxBytes: number): Generator<ReadStep, ReadResult, number> {
  if (!st.isFile()) return { kind: 'not_file', size: st.size, mtimeMs: st.mtimeMs };
  if (st.size > maxBytes) return { kind: 'too_large', size: st.size, mtimeMs: st.mtimeMs };
  const buf = Buffer.allocUnsafe(st.size + 1);
  let total = 0;
  while (total < buf.length && (total < st.size || st.size === 0)) {
    const bytesRead = yield { buf, offset: total, length: buf.length - total, position: total };
    if (bytesRead === 0) break;
    total += bytesRead;
    if (st.size === 0) break;
  }
  if (total > maxBytes) return { kind: 'too_large', size: total, mtimeMs: st.mtimeMs };
  return { kind: 'ok', bytes: buf.subarray(0, total), size: st.size, mtimeMs: st.mtimeMs };
}

/**
 * Opens with O_NONBLOCK so a FIFO dropped into the workspace cannot block (a libuv thread, or the
 * loop) forever, and reads at most `maxBytes` (see `boundedRead`): a file larger than the limit is
 * never read.
 */
export async function readBounded(abs: string, maxBytes: number): Promise<ReadResult> {
  const fh = await fsp.open(abs, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const steps = boundedRead(await fh.stat(), maxBytes);
    for (let step = steps.next(); ;) {
      if (step.done) return step.value;
      const { bytesRead } = await fh.read(step.value.buf, step.value.offset, step.value.length, step.value.position);
      step = steps.next(bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** `readBounded` with synchronous calls, for files known (from a stat just taken) to be small. */
export function readBoundedSync(abs: string, maxBytes: number): ReadResult {
  const fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const steps = boundedRead(fs.fstatSync(fd), maxBytes);
    for (let step = steps.next(); ;) {
      if (step.done) return step.value;
      step = steps.next(fs.readSync(fd, step.value.buf, step.value.offset, step.value.length, step.value.position));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The event a classified activity file becomes (the ingest benchmarks append exactly this). */
export function activityEvent(file: FileContent, rec: ActivityRecord): EventInput {
  const traceId = rec.traceId ?? EventLog.newTraceId();
  return {
    source: 'watcher',
    kind: rec.kind,
    severity: rec.severity,
    subject: file.relPath,
    trace_id: traceId,
    data: { ...rec.data, trace_id: traceId },
  };
}

function reasonForCode(code: string): { reason: ErrorReason; retryable: boolean } {
  if (code === 'EACCES' || code === 'EPERM') return { reason: 'permission', retryable: true };
  // A link loop or a name that is not a file will not fix itself without a change on disk.
  if (code === 'ELOOP' || code === 'EISDIR' || code === 'ENAMETOOLONG') return { reason: 'io', retryable: false };
  return { reason: 'io', retryable: true };
}

/** Turns one workspace path into an outcome: stat, read (bounded), classify. No store writes here. */
export class FileIngestor {
  constructor(
    private readonly ctx: SidecarContext,
    private readonly watched: WatchedFilesRepository,
    private readonly rules: ActivityRules
  ) {}

  private get root(): string {
    return this.ctx.config.watch.root;
  }

  /** The root with its own symlinks resolved (it may itself be a link); resolved again when it moves. */
  private realRoot: string | null = null;

  /** Whether `abs`, with every symlink resolved, is the root or under it. */
  private insideRoot(abs: string): boolean {
    let real: string;
    try {
      real = fs.realpathSync.native(abs);
    } catch {
      // Gone or unreadable since the stat: the read that follows reports it.
      return true;
    }
    const inside = (root: string): boolean =>
      real === root || real.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
    if (this.realRoot && inside(this.realRoot)) return true;
    try {
      this.realRoot = fs.realpathSync.native(this.root);
    } catch {
      return false;
    }
    return inside(this.realRoot);
  }

  async prepare(relPath: string, origin: IngestOrigin): Promise<IngestOutcome | null> {
    const classifier = classifierFor(relPath);
    if (!classifier) return null;
    const abs = path.join(this.root, relPath);
    const prev = this.watched.get(relPath);
    const recovered = origin === 'reconcile';
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch (err) {
      const code = codeOf(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return prev ? this.removal(prev, origin) : null;
      let lst: fs.Stats | null = null;
      try {
        lst = fs.lstatSync(abs, { throwIfNoEntry: false }) ?? null;
      } catch {
        // reported with the stat's own error below
      }
      return this.failure(classifier, relPath, prev, origin, code, (err as Error).message, lst);
    }
    if (st.isDirectory()) return prev ? this.removal(prev, origin) : null;
    // A symlink (or a symlinked folder on the way) may point anywhere on the host: never read,
    // hash or list what lies outside the workspace.
    if (!this.insideRoot(abs)) return this.outsideRoot(classifier, relPath, origin, st, prev);
    // Unchanged since last ingested: the watcher and the scan both saw it, or a no-op event.
    if (isUnchanged(prev, st.size, st.mtimeMs)) return null;
    if (!st.isFile()) return this.failure(classifier, relPath, prev, origin, 'ENOTREG', 'not a regular file', st);
    const max = this.ctx.config.watch.max_file_bytes;
    if (st.size > max) return this.tooLarge(classifier, relPath, origin, st.size, st.mtimeMs, prev);
    let read: ReadResult;
    try {
      read = st.size <= SYNC_READ_MAX_BYTES ? readBoundedSync(abs, max) : await readBounded(abs, max);
    } catch (err) {
      const code = codeOf(err);
      if (code === 'ENOENT') return prev ? this.removal(prev, origin) : null;
      return this.failure(classifier, relPath, prev, origin, code, (err as Error).message, st);
    }
    if (read.kind === 'too_large') return this.tooLarge(classifier, relPath, origin, read.size, read.mtimeMs, prev);
    if (read.kind === 'not_file')
      return this.failure(classifier, relPath, prev, origin, 'ENOTREG', 'not a regular file', read);
    const file: FileContent = { relPath, bytes: read.bytes, size: read.size, mtimeMs: read.mtimeMs };
    const base = { relPath, classifier, origin, recovered, mtimeMs: file.mtimeMs };
    switch (classifier) {
      case 'activity':
        return this.activity(file, base);
      case 'lineage':
        return this.lineage(file, base);
      case 'telemetry':
        return this.telemetry(file, base);
      case 'calibration':
        return this.calibration(file, base);
    }
  }

  private row(
    relPath: string,
    classifier: ClassifierName,
    size: number,
    mtimeMs: number,
    status: WatchedStatus
  ): WatchedFile {
    return { rel_path: relPath, classifier, size, mtime_ms: mtimeMs, status, updated_at: new Date().toISOString() };
  }

  /** A file read and classified: stored as ok, its effects applied at commit time. */
  private accepted(
    file: FileContent,
    base: OutcomeBase,
    apply: IngestOutcome['apply'],
    errors: ErrorReason[] = []
  ): IngestOutcome {
    return {
      ...base,
      row: this.row(file.relPath, base.classifier, file.size, file.mtimeMs, 'ok'),
      errors,
      apply,
    };
  }

  private refused(
    file: FileContent,
    base: OutcomeBase,
    kind: string,
    error: ClassifyError,
    sideEffect: () => void = () => undefined
  ): IngestOutcome {
    return {
      ...base,
      row: this.row(file.relPath, base.classifier, file.size, file.mtimeMs, `invalid:${error.reason}`),
      errors: [error.reason],
      apply: () => {
        sideEffect();
        return {
          events: [
            {
              source: 'watcher',
              kind,
              severity: 'warning',
              subject: file.relPath,
              data: {
                file_path: file.relPath,
                classifier: base.classifier,
                reason: error.reason,
                message: error.message,
                ...error.details,
              },
            },
          ],
          appendedElsewhere: 0,
        };
      },
    };
  }

  private activity(file: FileContent, base: OutcomeBase): IngestOutcome {
    const rec = classifyActivity(file, this.rules);
    const event = activityEvent(file, rec);
    return this.accepted(
      file,
      base,
      () => ({ events: [event], appendedElsewhere: 0 }),
      rec.schemaIssues ? ['schema'] : []
    );
  }

  private lineage(file: FileContent, base: OutcomeBase): IngestOutcome {
    const result = classifyLineage(file);
    // The last good lineage stays in the store untouched: only an event and a counter.
    if (!result.ok) return this.refused(file, base, 'lineage.invalid', result.error);
    const doc = result.value;
    return this.accepted(file, base, () => {
      const stored = this.ctx.kv.get<{ doc: LineageDoc }>(LINEAGE_KV_KEY);
      // A workload that rewrites an identical index should not flood the feed.
      if (stored && JSON.stringify(stored.doc) === JSON.stringify(doc)) return { events: [], appendedElsewhere: 0 };
      const ts = new Date().toISOString();
      const moves = this.ctx.lineage.apply(doc, ts);
      const traceId = EventLog.newTraceId();
      const events: EventInput[] = [
        {
          source: 'watcher',
          kind: 'lineage.updated',
          severity: 'info',
          subject: doc.model,
          trace_id: traceId,
          data: {
            file_path: file.relPath,
            model: doc.model,
            generations: doc.generations.length,
            active: pointerOf(doc, 'active'),
            canary: pointerOf(doc, 'canary'),
            pointer_moves: moves.length,
          },
        },
      ];
      for (const m of moves) {
        events.push({
          source: 'watcher',
          kind: 'lineage.pointer_moved',
          // Losing a pointer (no active or no canary generation any more) is worth a look.
          severity: m.generation === null ? 'warning' : 'info',
          subject: doc.model,
          trace_id: traceId,
          data: {
            model: m.model,
            pointer: m.pointer,
            generation: m.generation,
            previous: m.previous,
            file_path: file.relPath,
          },
        });
      }
      return { events, appendedElsewhere: 0 };
    });
  }

  private telemetry(file: FileContent, base: OutcomeBase): IngestOutcome {
    const result = classifyTelemetry(file);
    if (!result.ok) return this.refused(file, base, 'telemetry.invalid', result.error);
    const snapshot = result.value;
    return this.accepted(file, base, () => {
      // The telemetry service stores, exports and appends its own `telemetry.received` event.
      this.ctx.telemetry.ingestParsed(snapshot, 'watcher', file.relPath);
      return { events: [], appendedElsewhere: 1 };
    });
  }

  private async calibration(file: FileContent, base: OutcomeBase): Promise<IngestOutcome> {
    const p = parseCalibrationPath(file.relPath)!;
    if (p.role === 'meta') {
      const result = classifyCalibrationMeta(file);
      // The images keep their last good metadata.
      if (!result.ok) return this.refused(file, base, 'artifact.invalid', result.error);
      const meta = result.value;
      return this.accepted(file, base, () => ({ events: this.applyMeta(file.relPath, meta), appendedElsewhere: 0 }));
    }
    const meta = await this.readMeta(metaPathForImage(file.relPath));
    const result = classifyCalibrationImage(file, meta);
    // A file that lies about its type is never served, even if an earlier version was good.
    if (!result.ok)
      return this.refused(file, base, 'artifact.invalid', result.error, () =>
        this.ctx.artifacts.removeByPath(file.relPath)
      );
    const img = result.value;
    return this.accepted(file, base, () => {
      const existing = this.ctx.artifacts.getByPath(file.relPath);
      const now = new Date().toISOString();
      const createdAt =
        typeof img.meta['created_at'] === 'string' ? img.meta['created_at'] : new Date(img.mtime_ms).toISOString();
      this.ctx.artifacts.upsert({
        ...img,
        kind: ARTIFACT_KIND,
        rel_path: file.relPath,
        created_at: existing?.created_at ?? createdAt,
        updated_at: now,
      });
      const changed =
        !existing || existing.etag !== img.etag || JSON.stringify(existing.meta) !== JSON.stringify(img.meta);
      if (!changed) return { events: [], appendedElsewhere: 0 };
      return {
        events: [
          {
            source: 'watcher',
            kind: existing ? 'artifact.updated' : 'artifact.added',
            severity: 'info',
            subject: file.relPath,
            data: {
              id: img.id,
              file_path: file.relPath,
              generation: img.generation,
              name: img.name,
              content_type: img.content_type,
              size: img.size,
              etag: img.etag,
              meta: img.meta,
            },
          },
        ],
        appendedElsewhere: 0,
      };
    });
  }

  /** Metadata is optional: a missing, oversized or invalid `<name>.json` leaves the image without it. */
  private async readMeta(metaRel: string): Promise<CalibrationMeta | null> {
    try {
      const abs = path.join(this.root, metaRel);
      if (!this.insideRoot(abs)) return null;
      const read = await readBounded(abs, this.ctx.config.watch.max_file_bytes);
      if (read.kind !== 'ok') return null;
      const r = classifyCalibrationMeta({
        relPath: metaRel,
        bytes: read.bytes,
        size: read.size,
        mtimeMs: read.mtimeMs,
      });
      return r.ok ? r.value : null;
    } catch {
      return null;
    }
  }

  private applyMeta(metaRel: string, meta: Record<string, unknown>): EventInput[] {
    const events: EventInput[] = [];
    const now = new Date().toISOString();
    for (const imageRel of imagePathsForMeta(metaRel)) {
      const a = this.ctx.artifacts.getByPath(imageRel);
      if (!a || JSON.stringify(a.meta) === JSON.stringify(meta)) continue;
      this.ctx.artifacts.setMeta(a.id, meta, now);
      events.push({
        source: 'watcher',
        kind: 'artifact.updated',
        severity: 'info',
        subject: imageRel,
        data: { id: a.id, file_path: imageRel, meta_path: metaRel, generation: a.generation, name: a.name, meta },
      });
    }
    return events;
  }

  private removal(prev: WatchedFile, origin: IngestOrigin): IngestOutcome {
    const { rel_path: relPath, classifier } = prev;
    return {
      relPath,
      classifier,
      origin,
      recovered: origin === 'reconcile',
      mtimeMs: null,
      row: null,
      errors: [],
      apply: () => {
        if (classifier === 'calibration') {
          const p = parseCalibrationPath(relPath);
          if (p?.role === 'image') {
            const existed = this.ctx.artifacts.removeByPath(relPath);
            if (!existed) return { events: [], appendedElsewhere: 0 };
            return {
              events: [
                {
                  source: 'watcher',
                  kind: 'artifact.removed',
                  severity: 'info',
                  subject: relPath,
                  data: { id: artifactIdOf(relPath), file_path: relPath, generation: p.generation, name: p.name },
                },
              ],
              appendedElsewhere: 0,
            };
          }
          if (p?.role === 'meta') return { events: this.applyMeta(relPath, {}), appendedElsewhere: 0 };
        }
        return {
          events: [
            {
              source: 'watcher',
              kind: 'file.removed',
              // Telemetry snapshots are rotated constantly; their removal is routine.
              severity: classifier === 'telemetry' ? 'debug' : 'info',
              subject: relPath,
              data: { file_path: relPath, classifier },
            },
          ],
          appendedElsewhere: 0,
        };
      },
    };
  }

  private tooLarge(
    classifier: ClassifierName,
    relPath: string,
    origin: IngestOrigin,
    size: number,
    mtimeMs: number,
    prev: WatchedFile | undefined
  ): IngestOutcome | null {
    if (prev?.status === 'skipped:too_large' && prev.size === size && prev.mtime_ms === mtimeMs) return null;
    const limit = this.ctx.config.watch.max_file_bytes;
    return {
      relPath,
      classifier,
      origin,
      recovered: origin === 'reconcile',
      mtimeMs,
      row: this.row(relPath, classifier, size, mtimeMs, 'skipped:too_large'),
      errors: ['too_large'],
      apply: () => ({
        events: [
          {
            source: 'watcher',
            kind: 'file.skipped',
            severity: 'warning',
            subject: relPath,
            data: { file_path: relPath, classifier, reason: 'too_large', size, limit },
          },
        ],
        appendedElsewhere: 0,
      }),
    };
  }

  /**
   * The path resolves outside the watch root: skipped like a file over the size limit (an event and
   * a counter once, not read again until it changes), and an image it had been is no longer served.
   */
  private outsideRoot(
    classifier: ClassifierName,
    relPath: string,
    origin: IngestOrigin,
    st: { size: number; mtimeMs: number },
    prev: WatchedFile | undefined
  ): IngestOutcome | null {
    if (prev?.status === 'skipped:outside_root' && prev.size === st.size && prev.mtime_ms === st.mtimeMs) return null;
    return {
      relPath,
      classifier,
      origin,
      recovered: origin === 'reconcile',
      mtimeMs: st.mtimeMs,
      row: this.row(relPath, classifier, st.size, st.mtimeMs, 'skipped:outside_root'),
      errors: ['outside_root'],
      apply: () => {
        if (classifier === 'calibration') this.ctx.artifacts.removeByPath(relPath);
        return {
          events: [
            {
              source: 'watcher',
              kind: 'file.skipped',
              severity: 'warning',
              subject: relPath,
              // The target is not named: where the link points is none of the feed readers' business.
              data: {
                file_path: relPath,
                classifier,
                reason: 'outside_root',
                message: 'the path resolves (through a symbolic link) outside the watch root; it is not read',
              },
            },
          ],
          appendedElsewhere: 0,
        };
      },
    };
  }

  /**
   * Reading failed. The event and the counter fire when the file enters this state, not on every
   * retry, so an unreadable file is one alert rather than one per reconciliation.
   */
  private failure(
    classifier: ClassifierName,
    relPath: string,
    prev: WatchedFile | undefined,
    origin: IngestOrigin,
    code: string,
    message: string,
    st: { size: number; mtimeMs: number } | null
  ): IngestOutcome {
    const { reason, retryable } = reasonForCode(code);
    const status: WatchedStatus = retryable ? `error:${reason}` : `invalid:${reason}`;
    const repeated = prev?.status === status;
    return {
      relPath,
      classifier,
      origin,
      recovered: false,
      mtimeMs: null,
      row: this.row(relPath, classifier, st?.size ?? 0, st?.mtimeMs ?? 0, status),
      errors: repeated ? [] : [reason],
      apply: () => ({
        events: repeated
          ? []
          : [
              {
                source: 'watcher',
                kind: 'file.error',
                severity: 'warning',
                subject: relPath,
                data: { file_path: relPath, classifier, reason, code, message, retry: retryable },
              },
            ],
        appendedElsewhere: 0,
      }),
    };
  }
}
