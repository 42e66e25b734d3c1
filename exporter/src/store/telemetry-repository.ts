import type { Db } from './database';

export interface TelemetryValue {
  name: string;
  value: number;
  ts: string;
  labels: Record<string, string>;
  origin: string;
}

export interface TelemetrySample {
  ts: string;
  value: number;
}

/** Latest value per workload metric, and a short history the guardian and verification read. */
export class TelemetryRepository {
  private readonly upsertStmt;
  private readonly sampleStmt;
  private readonly latestStmt;

  constructor(private readonly db: Db) {
    this.upsertStmt = db.prepare(
      `INSERT INTO telemetry_latest (name, value, ts, labels, origin) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET value = excluded.value, ts = excluded.ts, labels = excluded.labels, origin = excluded.origin`
    );
    this.sampleStmt = db.prepare('INSERT INTO telemetry_samples (ts, name, value) VALUES (?, ?, ?)');
    this.latestStmt = db.prepare('SELECT * FROM telemetry_latest ORDER BY name');
  }

  record(ts: string, metrics: Record<string, number>, labels: Record<string, string>, origin: string): void {
    const labelsJson = JSON.stringify(labels);
    this.db.transaction(() => {
      for (const [name, value] of Object.entries(metrics)) {
        this.upsertStmt.run(name, value, ts, labelsJson, origin);
        this.sampleStmt.run(ts, name, value);
      }
    })();
  }

  latest(): TelemetryValue[] {
    return (this.latestStmt.all() as (Omit<TelemetryValue, 'labels'> & { labels: string })[]).map((r) => ({
      ...r,
      labels: JSON.parse(r.labels) as Record<string, string>,
    }));
  }

  latestValue(name: string): TelemetryValue | undefined {
    return this.latest().find((v) => v.name === name);
  }

  samples(name: string, since: string): TelemetrySample[] {
    return this.db
      .prepare('SELECT ts, value FROM telemetry_samples WHERE name = ? AND ts >= ? ORDER BY seq')
      .all(name, since) as TelemetrySample[];
  }

  pruneSamples(olderThan: string): number {
    return this.db.prepare('DELETE FROM telemetry_samples WHERE ts < ?').run(olderThan).changes;
  }
}
