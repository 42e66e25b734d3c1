import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config-schema';
import type { Part } from '../context';
import type { Logger } from '../log/logger';
import type { MetricsRegistry } from '../metrics/metrics-registry';
import { type Db, prepareCached } from './database';

/** Why writes to the store fail: the data folder's filesystem is full, read-only, or failing. */
export const STORE_FAULTS = ['disk_full', 'read_only', 'io_error'] as const;
export type StoreFault = (typeof STORE_FAULTS)[number];

/** Why the store refuses ingestion: a fault, or the configured size limit (`store.max_size_bytes`). */
export const PAUSE_REASONS = [...STORE_FAULTS, 'over_limit'] as const;
export type PauseReason = (typeof PAUSE_REASONS)[number];

/**
 * Event sources that carry the workload's data (files, telemetry, posted events). Over the size limit
 * only these are refused; the control plane (incidents, actions, audit, kill switch) keeps working.
 */
const INGEST_SOURCES: ReadonlySet<string> = new Set(['watcher', 'workload', 'api']);

/** Ingestion resumes once the store is back under this share of `store.max_size_bytes`. */
export const LIMIT_RESUME_RATIO = 0.9;

const DESCRIBE: Record<PauseReason, string> = {
  disk_full: 'disk full',
  read_only: 'data folder is read-only',
  io_error: 'I/O error',
  over_limit: 'store over its size limit',
};

/** A write refused because the store cannot take it now (a fault, or over its size limit). */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  constructor(
    readonly reason: PauseReason,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options);
  }
}

const codeOf = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
};

/**
 * What a failed write says about the store: a fault, `probe` when only a look at the folder can tell
 * (SQLite reports a read-only filesystem and a failing disk alike as SQLITE_IOERR_*), or null for an
 * error that is not about the store's ability to write (a constraint, a bug).
 */
export function classifyWriteError(err: unknown): StoreFault | 'probe' | null {
  const code = codeOf(err);
  if (!code) return null;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return 'disk_full';
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') return 'read_only';
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') return 'probe';
  return null;
}

/** Logs a part's failure: a write the store refused is already reported once by StoreHealth, so debug. */
export function logPartFailure(log: Logger, err: unknown, msg: string): void {
  if (err instanceof StoreUnavailableError) log.debug({ err }, msg);
  else log.error({ err }, msg);
}

interface FaultState {
  reason: StoreFault;
  since: string;
  detail: string;
  failures: number;
}

interface LimitState {
  since: string;
}

/** The event the health records about itself (source `heartbeat`: the sidecar's own status). */
export interface StoreHealthEvent {
  kind: 'store.limit_reached' | 'store.limit_cleared' | 'store.writes_failed';
  severity: 'info' | 'warning' | 'critical';
  data: Record<string, unknown>;
}

export interface StoreHealthDeps {
  db: Db;
  dataDir: string;
  config: Config['store'];
  metrics: MetricsRegistry;
  log: Logger;
}

/**
 * Whether the store can take writes, and what the sidecar does when it cannot. A write that fails
 * for lack of space (SQLITE_FULL, ENOSPC), on a read-only folder (EROFS) or with an I/O error is
 * reported here: readiness turns false with the reason, `lookout_store_write_errors_total` counts it,
 * one log line says so, ingestion pauses (the event log refuses every append, the watcher stops
 * reading) and control requests are answered 503. A probe every `store.check_interval_ms` finds when
 * writes work again (for a full disk: once `store.resume_free_bytes` are free); the watcher then
 * rescans the workspace, so nothing the workload wrote meanwhile is lost.
 *
 * With `store.max_size_bytes` set, the same check keeps the store under that size: the oldest
 * events already published (all of them, without NATS) are deleted first; when that is not enough
 * (the rest is waiting for NATS), ingestion pauses until the store is back under 90 % of the limit.
 */
export class StoreHealth implements Part {
  readonly name = 'store-health';
  private fault: FaultState | null = null;
  private limit: LimitState | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly writeErrors;
  private timer: NodeJS.Timeout | null = null;
  private trimmer: ((targetBytes: number) => number) | null = null;
  private recorder: ((e: StoreHealthEvent) => void) | null = null;
  private readonly probeFile: string;

  constructor(private readonly deps: StoreHealthDeps) {
    const { metrics, config } = deps;
    this.probeFile = path.join(deps.dataDir, '.lookout-write-probe');
    // Arrow functions keep `this` for collect(), where the client binds `this` to the gauge.
    const paused = (): PauseReason | null => this.pausedBy();
    const used = (): number | null => (deps.db.open ? this.usedBytes() : null);
    metrics.gauge({
      name: 'lookout_store_unwritable',
      help: 'Reason the store refuses writes (1) or not (0): disk_full, read_only, io_error, over_limit',
      labelNames: ['reason'] as const,
      collect() {
        const now = paused();
        for (const reason of PAUSE_REASONS) this.set({ reason }, now === reason ? 1 : 0);
      },
    });
    this.writeErrors = metrics.counter({
      name: 'lookout_store_write_errors_total',
      help: 'Store writes that failed because the data folder is full, read-only or failing, by reason',
      labelNames: ['reason'] as const,
    });
    for (const reason of STORE_FAULTS) this.writeErrors.inc({ reason }, 0);
    metrics.gauge({
      name: 'lookout_store_used_bytes',
      help: 'Bytes of the SQLite database in use (pages minus free pages); what store.max_size_bytes limits',
      collect() {
        const bytes = used();
        if (bytes !== null) this.set(bytes);
      },
    });
    metrics
      .gauge({ name: 'lookout_store_limit_bytes', help: 'The configured store.max_size_bytes (0: no limit)' })
      .set(config.max_size_bytes);
  }

  /** Frees space when the store is over its limit: deletes old published events down to `targetBytes`. */
  setTrimmer(trim: (targetBytes: number) => number): void {
    this.trimmer = trim;
  }

  /** Where the health's own events go (the event log, once it exists). */
  setRecorder(record: (e: StoreHealthEvent) => void): void {
    this.recorder = record;
  }

  /** Called whenever ingestion pauses or resumes. Returns unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Why ingestion is paused, or null. A fault wins over the size limit. */
  pausedBy(): PauseReason | null {
    return this.fault?.reason ?? (this.limit ? 'over_limit' : null);
  }

  /** True while writes fail (a fault); control requests are then refused. */
  writesFailing(): boolean {
    return this.fault !== null;
  }

  ingestPaused(): boolean {
    return this.fault !== null || this.limit !== null;
  }

  /** Throws StoreUnavailableError when an event of this source may not be stored now. */
  assertAccepts(source: string): void {
    if (this.fault) throw this.unavailable();
    if (this.limit && INGEST_SOURCES.has(source)) throw this.unavailable();
  }

  /** The error a refused write carries: the reason and what to do about it. */
  unavailable(cause?: unknown): StoreUnavailableError {
    const reason = this.pausedBy() ?? 'io_error';
    return new StoreUnavailableError(reason, `store unavailable: ${this.describe()}`, cause ? { cause } : undefined);
  }

  /** One line for readiness, status and errors. */
  describe(): string {
    if (this.fault) {
      return `writes failing since ${this.fault.since}: ${DESCRIBE[this.fault.reason]} (${this.fault.detail}); ingestion paused`;
    }
    if (this.limit) {
      const limit = this.deps.config.max_size_bytes;
      return (
        `${DESCRIBE.over_limit} since ${this.limit.since}: ${this.usedBytes()} of ${limit} bytes used and ` +
        `nothing published left to delete; ingestion paused until below ${Math.round(LIMIT_RESUME_RATIO * 100)} %`
      );
    }
    return 'writable';
  }

  readiness(): { ok: boolean; detail?: string } {
    return this.ingestPaused() ? { ok: false, detail: this.describe() } : { ok: true };
  }

  status(): Record<string, unknown> {
    return {
      writable: !this.fault,
      paused_by: this.pausedBy(),
      detail: this.ingestPaused() ? this.describe() : null,
      used_bytes: this.deps.db.open ? this.usedBytes() : null,
      limit_bytes: this.deps.config.max_size_bytes,
    };
  }

  /**
   * Takes a failed write. When it means the store cannot write (full, read-only, failing), counts it,
   * pauses ingestion (logging once) and returns the fault; other errors return null untouched.
   */
  report(err: unknown, where: string): StoreFault | null {
    if (err instanceof StoreUnavailableError) return this.fault?.reason ?? null;
    const cls = classifyWriteError(err);
    if (!cls) return null;
    const reason = cls === 'probe' ? this.probeFolder() : cls;
    this.writeErrors.inc({ reason });
    const detail = `${codeOf(err) ?? 'error'}: ${(err as Error).message}`;
    if (this.fault) {
      this.fault.failures++;
      this.deps.log.debug({ err, where, reason }, 'store write failed again');
      return this.fault.reason;
    }
    this.fault = { reason, since: new Date().toISOString(), detail, failures: 1 };
    this.deps.log.error(
      { err, where, reason, data_dir: this.deps.dataDir },
      `store writes failing (${DESCRIBE[reason]}): ingestion paused, control requests refused with 503 until writes work again`
    );
    this.changed();
    return reason;
  }

  /** Bytes of the database in use: its pages minus the free ones (what deletions give back). */
  usedBytes(): number {
    const { db } = this.deps;
    const pages = db.pragma('page_count', { simple: true }) as number;
    const free = db.pragma('freelist_count', { simple: true }) as number;
    const size = db.pragma('page_size', { simple: true }) as number;
    return (pages - free) * size;
  }

  /** One round: probe for recovery while writes fail, else keep the store under its size limit. */
  check(): void {
    if (!this.deps.db.open) return;
    if (this.fault) this.probeRecovery();
    if (!this.fault && this.deps.config.max_size_bytes > 0) this.checkLimit();
  }

  start(): void {
    this.timer = setInterval(() => {
      try {
        this.check();
      } catch (err) {
        // A check that fails while writing (the trim, the limit event) is itself a store fault.
        if (!this.report(err, 'store check')) this.deps.log.error({ err }, 'store check failed');
      }
    }, this.deps.config.check_interval_ms);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private changed(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch (err) {
        this.deps.log.error({ err }, 'store health listener failed');
      }
    }
  }

  private record(e: StoreHealthEvent): void {
    try {
      this.recorder?.(e);
    } catch (err) {
      this.deps.log.warn({ err, kind: e.kind }, 'store health event not recorded');
    }
  }

  /** Creates and removes a small file in the data folder: the error that gave, or null. */
  private folderWriteError(): unknown {
    try {
      fs.writeFileSync(this.probeFile, 'probe');
      fs.rmSync(this.probeFile, { force: true });
      return null;
    } catch (err) {
      return err;
    }
  }

  /** Which fault an I/O error means, from the errno of a write to the data folder itself. */
  private probeFolder(): StoreFault {
    const c = classifyWriteError(this.folderWriteError());
    return c === 'disk_full' || c === 'read_only' ? c : 'io_error';
  }

  private probeRecovery(): void {
    const f = this.fault!;
    try {
      if (f.reason === 'disk_full') {
        // A small write may fit in the WAL's slack while the disk is still full: wait for real room.
        const st = fs.statfsSync(this.deps.dataDir);
        if (st.bavail * st.bsize < this.deps.config.resume_free_bytes) return;
      }
      const folderErr = this.folderWriteError();
      if (folderErr) throw folderErr;
      const now = new Date().toISOString();
      prepareCached(
        this.deps.db,
        'INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at'
      ).run('store:write_probe', JSON.stringify({ at: now }), now);
    } catch (err) {
      this.writeErrors.inc({ reason: f.reason });
      this.deps.log.debug({ err }, 'store still not writable');
      return;
    }
    const until = new Date().toISOString();
    this.fault = null;
    this.deps.log.info(
      { reason: f.reason, since: f.since, failed_writes: f.failures },
      'store writes work again: ingestion resumed'
    );
    this.record({
      kind: 'store.writes_failed',
      severity: 'critical',
      data: { reason: f.reason, since: f.since, until, failed_writes: f.failures, detail: f.detail },
    });
    this.changed();
  }

  private checkLimit(): void {
    const limit = this.deps.config.max_size_bytes;
    const target = Math.floor(limit * LIMIT_RESUME_RATIO);
    let used = this.usedBytes();
    if (!this.limit) {
      if (used <= limit) return;
      const deleted = this.trimmer?.(target) ?? 0;
      used = this.usedBytes();
      if (used <= limit) {
        this.deps.log.info({ deleted, used_bytes: used, limit_bytes: limit }, 'store size limit: old events deleted');
        return;
      }
      this.limit = { since: new Date().toISOString() };
      this.deps.log.error(
        { used_bytes: used, limit_bytes: limit, deleted },
        'store over its size limit with events not yet published: ingestion paused (nothing is dropped)'
      );
      this.record({
        kind: 'store.limit_reached',
        severity: 'critical',
        data: { used_bytes: used, limit_bytes: limit, deleted, policy: 'pause_ingestion' },
      });
      this.changed();
      return;
    }
    if (used > target) {
      this.trimmer?.(target);
      used = this.usedBytes();
    }
    if (used > target) return;
    const since = this.limit.since;
    this.limit = null;
    this.deps.log.info(
      { used_bytes: used, limit_bytes: limit, since },
      'store back under its size limit: ingestion resumed'
    );
    this.record({
      kind: 'store.limit_cleared',
      severity: 'info',
      data: { used_bytes: used, limit_bytes: limit, since },
    });
    this.changed();
  }
}
