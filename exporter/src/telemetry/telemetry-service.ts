import type { TelemetryRepository } from '../store/telemetry-repository';
import type { Counter, Gauge, MetricsRegistry } from '../metrics/metrics-registry';
import type { EventLog } from '../events/event-log';
import type { Logger } from '../log/logger';
import {
  type ParsedSnapshot,
  REJECT_REASONS,
  type RejectReason,
  type SampleRejection,
  type TelemetrySample,
  parseTelemetrySnapshot,
} from './telemetry-snapshot';
import { type SeriesState, type WorkloadFamily, WorkloadSeriesStore } from './workload-series';

export type TelemetryOrigin = 'watcher' | 'nats' | 'api';

/** What listeners hear per accepted snapshot: its time, its unlabeled values, and every accepted sample. */
export interface SnapshotNotice {
  ts: string;
  metrics: Record<string, number>;
  labels: Record<string, string>;
  samples: readonly TelemetrySample[];
}
export type TelemetryListener = (snapshot: SnapshotNotice) => void;

export type IngestResult =
  { ok: true; accepted: number; rejected: SampleRejection[] } | { ok: false; error: string; issues: string[] };

export interface TelemetryOptions {
  node: string;
  /** Series held at most (telemetry.max_series). */
  maxSeries: number;
  /** A series whose latest value is older than this is no longer exported (telemetry.ttl_ms). */
  ttlMs: number;
  log: Logger;
  now?: () => number;
}

/** Unlabeled values put into each `telemetry.received` event, at most (the event stays small). */
const EVENT_METRICS_MAX = 64;
/** Examples of refused samples in one `telemetry.rejected` event. */
const EVENT_EXAMPLES_MAX = 20;
/** A repeated, identical rejection (same reasons) is reported as an event at most this often per origin. */
const REJECTION_EVENT_INTERVAL_MS = 60_000;

/**
 * Workload telemetry from any origin (file, NATS, tests): judged sample by sample, stored (latest value
 * per series, history of the unlabeled ones) and exported as `lookout_workload_<name>` families with
 * their labels, plus an info series and the telemetry age. Series past the TTL stop being exported;
 * new series beyond the limit are refused and counted, never a crash and never an unbounded registry.
 */
export class TelemetryService {
  readonly store: WorkloadSeriesStore;
  private readonly listeners = new Set<TelemetryListener>();
  private lastInfo: { model: string; generation: string } | null = null;
  private newestMs: number | null = null;
  private readonly now: () => number;
  private readonly lastRejectionEvent = new Map<TelemetryOrigin, { at: number; reasons: string }>();
  readonly received: Counter<'origin'>;
  readonly rejectedTotal: Counter<'reason'>;
  private readonly historySkipped: Counter;

  constructor(
    private readonly repo: TelemetryRepository,
    private readonly metrics: MetricsRegistry,
    private readonly events: EventLog,
    private readonly opts: TelemetryOptions
  ) {
    this.now = opts.now ?? Date.now;
    this.store = new WorkloadSeriesStore(opts.maxSeries, opts.ttlMs, `node="${opts.node}"`, this.now);
    const infoOf = (): { model: string; generation: string } | null => {
      const age = this.ageSeconds();
      return age !== null && age * 1000 <= opts.ttlMs ? this.lastInfo : null;
    };
    metrics.gauge({
      name: 'lookout_workload_info',
      help: 'Always 1; labels carry the model and generation the workload reports (gone past telemetry.ttl_ms)',
      labelNames: ['model', 'generation'] as const,
      collect(this: Gauge<'model' | 'generation'>) {
        this.reset();
        const info = infoOf();
        if (info) this.set(info, 1);
      },
    });
    this.received = metrics.counter({
      name: 'lookout_telemetry_snapshots_total',
      help: 'Telemetry snapshots accepted, by origin',
      labelNames: ['origin'] as const,
    });
    this.rejectedTotal = metrics.counter({
      name: 'lookout_telemetry_samples_rejected_total',
      help: 'Workload metrics and samples refused, by reason (invalid_label, not_finite, type_conflict, series_limit, ...)',
      labelNames: ['reason'] as const,
    });
    for (const reason of REJECT_REASONS) this.rejectedTotal.inc({ reason }, 0);
    this.historySkipped = metrics.counter({
      name: 'lookout_telemetry_history_skipped_total',
      help: 'Workload samples kept as latest values but not in the history (telemetry.history_max_series reached)',
    });
    this.historySkipped.inc(0);
    const store = this.store;
    metrics.gauge({
      name: 'lookout_telemetry_series',
      help: 'Workload series held, by state: fresh (exported) or stale (past telemetry.ttl_ms, not exported)',
      labelNames: ['state'] as const,
      collect(this: Gauge<'state'>) {
        const c = store.counts();
        this.set({ state: 'fresh' }, c.fresh);
        this.set({ state: 'stale' }, c.stale);
      },
    });
    metrics
      .gauge({ name: 'lookout_telemetry_series_limit', help: 'The most workload series held (telemetry.max_series)' })
      .set(opts.maxSeries);
    const age = (): number | null => this.ageSeconds();
    metrics.gauge({
      name: 'lookout_workload_telemetry_age_seconds',
      help: 'Seconds since the sidecar last received a workload telemetry snapshot (absent until the first one)',
      collect(this: Gauge) {
        const a = age();
        if (a === null) this.reset();
        else this.set(a);
      },
    });
    this.restore();
  }

  private restore(): void {
    const rows = this.repo.latest(this.opts.maxSeries);
    const created = this.store.restore(
      rows.map((r) => ({
        sample: { name: r.name, labels: r.labels, key: r.series, value: r.value, type: r.type, help: null },
        // Receipt times are not stored: a restored series counts from its snapshot time (never the future).
        tsMs: Math.min(Date.parse(r.ts), this.now()),
      }))
    );
    for (const f of created) this.metrics.registerCustom(f);
    for (const r of rows) this.newestMs = Math.max(this.newestMs ?? 0, Math.min(Date.parse(r.ts), this.now()));
  }

  /** Judges and ingests a decoded snapshot (NATS, tests); see `ingestParsed`. */
  ingest(raw: unknown, origin: TelemetryOrigin, subject = ''): IngestResult {
    const parsed = parseTelemetrySnapshot(raw);
    if (!parsed.ok) return parsed;
    return this.ingestParsed(parsed.snapshot, origin, subject);
  }

  /**
   * Ingests a judged snapshot: the accepted samples are stored and exported in one go; every refused
   * one (by the parser or by the limits here) is counted by reason and reported in a
   * `telemetry.rejected` event.
   */
  ingestParsed(snapshot: ParsedSnapshot, origin: TelemetryOrigin, subject = ''): IngestResult {
    // Freshness (the TTL, the age, the guardian's stale_after) runs on the sidecar's clock from
    // receipt: a workload whose clock is off, or that replays an old snapshot, cannot hide or fake it.
    const source = origin === 'watcher' ? 'watcher' : 'workload';
    // Refused before anything is stored (or held in memory) when the store takes no ingestion now.
    this.events.assertAccepts(source);
    const now = this.now();
    const ts = snapshot.ts ?? new Date(now).toISOString();
    const res = this.store.apply(snapshot.samples, now, (i) => pathOf(snapshot.samples[i]!));
    const skippedBefore = this.repo.historySkipped;
    this.repo.record(ts, res.accepted, res.evicted, now);
    if (this.repo.historySkipped > skippedBefore) this.historySkipped.inc(this.repo.historySkipped - skippedBefore);
    for (const f of res.created) this.metrics.registerCustom(f);
    for (const f of res.removed) this.metrics.unregister(f.exportName);
    const rejected = [...snapshot.rejected, ...res.rejected];
    if (res.accepted.length) this.newestMs = now;

    const model = snapshot.labels['model'];
    const generation = snapshot.labels['generation'];
    if (model && generation) this.lastInfo = { model, generation };
    const unlabeled: Record<string, number> = {};
    for (const s of res.accepted) if (!s.key) unlabeled[s.name] = s.value;
    const byReason = new Map<RejectReason, number>();
    for (const r of rejected) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
    for (const [reason, n] of byReason) this.rejectedTotal.inc({ reason }, n);

    if (rejected.length) this.reportRejections(rejected, res.accepted.length, origin, subject, now);
    if (!res.accepted.length) {
      const issues = rejected.slice(0, EVENT_EXAMPLES_MAX).map((r) => `${r.path}: ${r.message}`);
      return { ok: false, error: `no sample of the snapshot was kept: ${issues.join('; ')}`, issues };
    }
    this.received.inc({ origin });
    const shown = Object.keys(unlabeled).slice(0, EVENT_METRICS_MAX);
    this.events.append({
      source,
      kind: 'telemetry.received',
      severity: 'debug',
      subject,
      ts,
      data: {
        metrics: Object.fromEntries(shown.map((n) => [n, unlabeled[n]!])),
        series: res.accepted.length,
        rejected: rejected.length,
        labels: snapshot.labels,
        origin,
      },
    });
    const notice: SnapshotNotice = { ts, metrics: unlabeled, labels: snapshot.labels, samples: res.accepted };
    for (const l of this.listeners) l(notice);
    return { ok: true, accepted: res.accepted.length, rejected };
  }

  private reportRejections(
    rejected: readonly SampleRejection[],
    accepted: number,
    origin: TelemetryOrigin,
    subject: string,
    now: number
  ): void {
    const byReason: Partial<Record<RejectReason, number>> = {};
    for (const r of rejected) byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
    const reasons = Object.keys(byReason).sort().join(',');
    const last = this.lastRejectionEvent.get(origin);
    // A workload that keeps sending the same bad series is reported once a minute, not once a snapshot;
    // the counter still counts every sample.
    if (last && last.reasons === reasons && now - last.at < REJECTION_EVENT_INTERVAL_MS) return;
    this.lastRejectionEvent.set(origin, { at: now, reasons });
    const examples = rejected.slice(0, EVENT_EXAMPLES_MAX);
    this.events.append({
      source: origin === 'watcher' ? 'watcher' : 'workload',
      kind: 'telemetry.rejected',
      severity: 'warning',
      subject,
      data: { origin, accepted, rejected: rejected.length, by_reason: byReason, examples },
    });
    this.opts.log.warn(
      { origin, subject, accepted, rejected: rejected.length, by_reason: byReason, first: examples[0] },
      'telemetry samples refused (see lookout_telemetry_samples_rejected_total)'
    );
  }

  onSnapshot(listener: TelemetryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The unlabeled series' latest values (the status page's `telemetry`). */
  latest(): Record<string, { value: number; ts: string }> {
    const out: Record<string, { value: number; ts: string }> = {};
    const names = [...this.store.families.keys()].sort();
    for (const n of names) {
      const s = this.store.families.get(n)!.series.get('');
      if (s) out[n] = { value: s.value, ts: new Date(s.tsMs).toISOString() };
    }
    return out;
  }

  /** The family of a workload name, if it has series (the guardian selects from it). */
  family(name: string): WorkloadFamily | undefined {
    return this.store.family(name);
  }

  /** Seconds since the sidecar last received a snapshot, or null before the first one. */
  ageSeconds(now = this.now()): number | null {
    return this.newestMs === null ? null : Math.max(0, (now - this.newestMs) / 1000);
  }

  /** Epoch ms at which the newest snapshot was received, or null before the first one. */
  newestSnapshotMs(): number | null {
    return this.newestMs;
  }

  /** Whether a series' latest value is past the TTL (held, no longer exported). */
  isStale(s: SeriesState, now = this.now()): boolean {
    return s.tsMs < now - this.opts.ttlMs;
  }

  /** The status page's summary: age, TTL, and fresh and stale series. */
  health(now = this.now()): {
    newest_ts: string | null;
    age_s: number | null;
    ttl_s: number;
    stale: boolean;
    series: { fresh: number; stale: number };
    series_limit: number;
  } {
    const age = this.ageSeconds(now);
    return {
      newest_ts: this.newestMs === null ? null : new Date(this.newestMs).toISOString(),
      age_s: age === null ? null : Math.round(age * 10) / 10,
      ttl_s: this.opts.ttlMs / 1000,
      stale: age !== null && age * 1000 > this.opts.ttlMs,
      series: this.store.counts(),
      series_limit: this.opts.maxSeries,
    };
  }
}

function pathOf(s: TelemetrySample): string {
  return s.key ? `${s.name}{${s.key}}` : s.name;
}
