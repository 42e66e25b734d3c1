import { type Db, prepareCached } from './database';

const db1 = (db: Db, sql: string): number => db.prepare(sql).pluck().get() as number;
import type { SampleType, TelemetrySample as SnapshotSample } from '../telemetry';

/** The latest value of one workload series. */
export interface TelemetryValue {
  name: string;
  /** The series' own labels ({} for an unlabeled series). */
  labels: Record<string, string>;
  /** Canonical label text ('' for an unlabeled series). */
  series: string;
  type: SampleType;
  value: number;
  ts: string;
}

export interface TelemetrySample {
  ts: string;
  value: number;
}

/** One series of the telemetry history (sid 0 is the snapshot marker). */
export interface HistorySeries {
  sid: number;
  name: string;
  /** Canonical label text ('' for an unlabeled series). */
  series: string;
  labels: Record<string, string>;
  type: SampleType;
}

/** How much history is kept (telemetry.history_*). */
export interface HistoryLimits {
  /** Distinct series recorded at most (0: no history); samples of further series are skipped and counted. */
  maxSeries: number;
}

/** The series id of the snapshot marker: one history row per accepted snapshot. */
export const SNAPSHOT_SID = 0;
/** A series' `last_t` is written at most this often (it only bounds pruning of the series list). */
const LAST_SEEN_WRITE_MS = 60_000;

interface SeriesRow {
  name: string;
  series: string;
  labels: string;
  type: SampleType;
  value: number;
  ts: string;
}

const toValue = (r: SeriesRow): TelemetryValue => ({
  name: r.name,
  series: r.series,
  labels: JSON.parse(r.labels) as Record<string, string>,
  type: r.type,
  value: r.value,
  ts: r.ts,
});

/**
 * The latest value of every workload series (labeled or not), a history of the unlabeled ones by
 * snapshot time (the scheduler's drift policy and action verification read it), and the telemetry
 * history by receipt time — every series, labeled too, up to a series limit — that backtests replay.
 */
export class TelemetryRepository {
  private readonly upsertStmt;
  private readonly sampleStmt;
  private readonly deleteStmt;
  private readonly latestStmt;
  private readonly latestValueStmt;
  private readonly samplesStmt;
  private readonly historyStmt;
  private readonly sidStmt;
  private readonly newSidStmt;
  private readonly lastSeenStmt;
  /** `name\u0000series` → sid (null: the series limit was reached when it was first seen). */
  private readonly sids = new Map<string, number | null>();
  private readonly lastSeenWritten = new Map<number, number>();
  private historySeries: number;
  private limits: HistoryLimits = { maxSeries: 1000 };
  /** Samples not kept in the history because the series limit was reached (a counter reads it). */
  historySkipped = 0;
  /**
   * History rows, counted once (the first prune) and then kept by what is written and deleted, so the row
   * limit does not cost a scan of the whole table every retention run. A replaced row counts twice: the
   * limit then trims a little early, never late.
   */
  private historyRows: number | null = null;

  constructor(private readonly db: Db) {
    this.upsertStmt = db.prepare(
      `INSERT INTO telemetry_series (name, series, labels, type, value, ts) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(name, series) DO UPDATE SET value = excluded.value, ts = excluded.ts, type = excluded.type`
    );
    this.sampleStmt = db.prepare('INSERT INTO telemetry_samples (ts, name, value) VALUES (?, ?, ?)');
    this.deleteStmt = db.prepare('DELETE FROM telemetry_series WHERE name = ? AND series = ?');
    this.latestStmt = db.prepare('SELECT * FROM telemetry_series ORDER BY ts DESC, name, series LIMIT ?');
    this.latestValueStmt = db.prepare("SELECT * FROM telemetry_series WHERE name = ? AND series = ''");
    this.samplesStmt = db.prepare('SELECT ts, value FROM telemetry_samples WHERE name = ? AND ts >= ? ORDER BY seq');
    this.historyStmt = db.prepare('INSERT OR REPLACE INTO telemetry_history (t, sid, value) VALUES (?, ?, ?)');
    this.sidStmt = db.prepare('SELECT sid FROM telemetry_history_series WHERE name = ? AND series = ?').pluck();
    this.newSidStmt = db.prepare(
      'INSERT INTO telemetry_history_series (name, series, labels, type, last_t) VALUES (?, ?, ?, ?, ?)'
    );
    this.lastSeenStmt = db.prepare('UPDATE telemetry_history_series SET last_t = ? WHERE sid = ?');
    this.historySeries = this.countHistorySeries();
  }

  private countHistorySeries(): number {
    return db1(this.db, 'SELECT COUNT(*) FROM telemetry_history_series WHERE sid > 0');
  }

  /** Sets how much history is kept (from telemetry.history_max_series). */
  setHistoryLimits(limits: HistoryLimits): void {
    this.limits = limits;
    this.sids.clear();
  }

  /** The history id of a series, creating it while under the series limit; null past it. */
  private sidOf(s: SnapshotSample, t: number): number | null {
    const k = `${s.name}\u0000${s.key}`;
    const hit = this.sids.get(k);
    if (hit !== undefined) return hit;
    let sid = this.sidStmt.get(s.name, s.key) as number | undefined;
    if (sid === undefined && this.historySeries < this.limits.maxSeries) {
      sid = Number(
        this.newSidStmt.run(s.name, s.key, s.key ? JSON.stringify(s.labels) : '{}', s.type, t).lastInsertRowid
      );
      this.historySeries++;
      this.lastSeenWritten.set(sid, t);
    }
    this.sids.set(k, sid ?? null);
    return sid ?? null;
  }

  /**
   * Stores one snapshot's accepted samples in one transaction: the latest value of each series, the
   * history of the unlabeled ones, and forgets series evicted to make room.
   */
  record(
    ts: string,
    samples: readonly SnapshotSample[],
    evicted: readonly { name: string; key: string }[] = [],
    receivedMs: number = Date.now()
  ): void {
    this.db.transaction(() => {
      for (const s of samples) {
        this.upsertStmt.run(s.name, s.key, s.key ? JSON.stringify(s.labels) : '{}', s.type, s.value, ts);
        if (!s.key) this.sampleStmt.run(ts, s.name, s.value);
      }
      for (const e of evicted) this.deleteStmt.run(e.name, e.key);
      if (this.limits.maxSeries > 0 && samples.length) this.recordHistory(receivedMs, samples);
    })();
  }

  private recordHistory(t: number, samples: readonly SnapshotSample[]): void {
    this.historyStmt.run(t, SNAPSHOT_SID, samples.length);
    let written = 1;
    for (const s of samples) {
      const sid = this.sidOf(s, t);
      if (sid === null) {
        this.historySkipped++;
        continue;
      }
      this.historyStmt.run(t, sid, s.value);
      written++;
      const seen = this.lastSeenWritten.get(sid);
      if (seen === undefined || t - seen >= LAST_SEEN_WRITE_MS) {
        this.lastSeenStmt.run(t, sid);
        this.lastSeenWritten.set(sid, t);
      }
    }
    if (this.historyRows !== null) this.historyRows += written;
  }

  /** Every recorded history series of these names (the snapshot marker excluded). */
  historySeriesOf(names: readonly string[]): HistorySeries[] {
    if (!names.length) return [];
    const rows = prepareCached(
      this.db,
      `SELECT sid, name, series, labels, type FROM telemetry_history_series WHERE sid > 0 AND name IN (${names.map(() => '?').join(', ')}) ORDER BY sid`
    ).all(...names) as (Omit<HistorySeries, 'labels'> & { labels: string })[];
    return rows.map((r) => ({ ...r, labels: JSON.parse(r.labels) as Record<string, string> }));
  }

  /** Names that have (or had, within the history's age) recorded series. */
  historyNames(): string[] {
    return this.db
      .prepare('SELECT DISTINCT name FROM telemetry_history_series WHERE sid > 0 ORDER BY name')
      .pluck()
      .all() as string[];
  }

  /**
   * History rows of these series after (t, sid) and up to `toT` inclusive, in (t, sid) order, at most
   * `limit`, as `[t, sid, value]` arrays: one page of a keyset walk, so a long range streams with
   * bounded memory.
   */
  historyPage(
    sids: readonly number[],
    after: { t: number; sid: number },
    toT: number,
    limit: number
  ): [number, number, number][] {
    if (!sids.length) return [];
    return prepareCached(
      this.db,
      `SELECT t, sid, value FROM telemetry_history WHERE (t, sid) > (?, ?) AND t <= ? AND sid IN (${sids.map(() => '?').join(', ')}) ORDER BY t, sid LIMIT ?`
    )
      .raw(true)
      .all(after.t, after.sid, toT, ...sids, limit) as [number, number, number][];
  }

  /** Receipt time of the newest snapshot before `t`, or null. */
  snapshotBefore(t: number): number | null {
    const v = prepareCached(this.db, 'SELECT t FROM telemetry_history WHERE t < ? AND sid = 0 ORDER BY t DESC LIMIT 1')
      .pluck()
      .get(t) as number | undefined;
    return v ?? null;
  }

  /** Receipt time of the oldest history row, or null when there is none. */
  historyStart(): number | null {
    const v = prepareCached(this.db, 'SELECT t FROM telemetry_history ORDER BY t LIMIT 1').pluck().get() as
      number | undefined;
    return v ?? null;
  }

  /**
   * Deletes history older than `cutoffMs`, then the oldest rows beyond `maxRows`, and forgets series
   * not seen since the cutoff. Returns the rows deleted.
   */
  pruneHistory(cutoffMs: number, maxRows: number): number {
    let deleted = this.db.prepare('DELETE FROM telemetry_history WHERE t < ?').run(cutoffMs).changes;
    const rows =
      this.historyRows === null ? db1(this.db, 'SELECT COUNT(*) FROM telemetry_history') : this.historyRows - deleted;
    this.historyRows = rows;
    if (rows > maxRows) {
      // Down to 90 % of the limit, so the next snapshots do not each start another trim.
      const drop = rows - Math.floor(maxRows * 0.9);
      const edge = this.db
        .prepare('SELECT t FROM telemetry_history ORDER BY t LIMIT 1 OFFSET ?')
        .pluck()
        .get(drop - 1) as number | undefined;
      if (edge !== undefined) {
        const trimmed = this.db.prepare('DELETE FROM telemetry_history WHERE t <= ?').run(edge).changes;
        deleted += trimmed;
        this.historyRows -= trimmed;
      }
    }
    const forgotten = this.db
      .prepare('DELETE FROM telemetry_history_series WHERE sid > 0 AND last_t < ?')
      .run(cutoffMs).changes;
    if (forgotten) {
      this.sids.clear();
      this.lastSeenWritten.clear();
      this.historySeries = this.countHistorySeries();
    }
    return deleted;
  }

  /** Stored series, newest first, at most `limit` (start-up restores them). */
  latest(limit = 1_000_000): TelemetryValue[] {
    return (this.latestStmt.all(limit) as SeriesRow[]).map(toValue);
  }

  /** The latest value of an unlabeled series. */
  latestValue(name: string): TelemetryValue | undefined {
    const r = this.latestValueStmt.get(name) as SeriesRow | undefined;
    return r ? toValue(r) : undefined;
  }

  /** History of an unlabeled series since a time, oldest first. */
  samples(name: string, since: string): TelemetrySample[] {
    return this.samplesStmt.all(name, since) as TelemetrySample[];
  }

  pruneSamples(olderThan: string): number {
    return this.db.prepare('DELETE FROM telemetry_samples WHERE ts < ?').run(olderThan).changes;
  }
}
