import type { Db } from './database';
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
 * The latest value of every workload series (labeled or not), and a history of the unlabeled ones
 * (the scheduler's drift policy and action verification read it).
 */
export class TelemetryRepository {
  private readonly upsertStmt;
  private readonly sampleStmt;
  private readonly deleteStmt;
  private readonly latestStmt;
  private readonly latestValueStmt;
  private readonly samplesStmt;

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
  }

  /**
   * Stores one snapshot's accepted samples in one transaction: the latest value of each series, the
   * history of the unlabeled ones, and forgets series evicted to make room.
   */
  record(ts: string, samples: readonly SnapshotSample[], evicted: readonly { name: string; key: string }[] = []): void {
    this.db.transaction(() => {
      for (const s of samples) {
        this.upsertStmt.run(s.name, s.key, s.key ? JSON.stringify(s.labels) : '{}', s.type, s.value, ts);
        if (!s.key) this.sampleStmt.run(ts, s.name, s.value);
      }
      for (const e of evicted) this.deleteStmt.run(e.name, e.key);
    })();
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
