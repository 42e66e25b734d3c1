import type { RejectReason, SampleRejection, SampleType, TelemetrySample } from './telemetry-snapshot';

/** What every workload series is exported under: `lookout_workload_<name>` (`_total` added to counters). */
export const WORKLOAD_PREFIX = 'lookout_workload_';

/** Sidecar metrics in the workload namespace: a workload family may not take these names. */
export const RESERVED_EXPORT_NAMES: readonly string[] = [
  'lookout_workload_info',
  'lookout_workload_telemetry_age_seconds',
];

export function exportNameOf(name: string, type: SampleType): string {
  const base = WORKLOAD_PREFIX + name;
  return type === 'counter' && !base.endsWith('_total') ? `${base}_total` : base;
}

/** One workload series: its latest value, when it was taken, and its pre-rendered `name{labels} ` text. */
export interface SeriesState {
  readonly key: string;
  readonly labels: Readonly<Record<string, string>>;
  value: number;
  /** When the latest value was received (the sidecar's clock), epoch ms. */
  tsMs: number;
  /** `lookout_workload_x{venue="CME",node="n1"} ` — rendered once, when the series is first seen. */
  readonly prefix: string;
}

/** One series as the client library's registry renders it (OpenMetrics). */
interface ClientValue {
  value: number;
  labels: Record<string, string>;
}

/**
 * One workload metric family (a name, a type, its series). It is registered on the sidecar's
 * registries like any metric: the client renders it for OpenMetrics through `get()`, and the text
 * renderer takes the fast path `renderPrometheusText` (every line pre-rendered but the value). Both
 * leave out series older than the TTL, so Prometheus marks them stale.
 */
export class WorkloadFamily {
  /** The client's OpenMetrics rendering renames counters in place; `exportName` keeps the real one. */
  name: string;
  readonly labelNames: string[] = [];
  readonly series = new Map<string, SeriesState>();
  /** Bumped whenever a series is added or removed (label selections are cached against it). */
  version = 0;

  constructor(
    readonly workloadName: string,
    readonly exportName: string,
    readonly type: SampleType,
    public help: string,
    private readonly defaultLabelsText: string,
    private readonly freshness: Freshness
  ) {
    this.name = exportName;
  }

  add(sample: TelemetrySample, tsMs: number): SeriesState {
    const inner = sample.key ? `${sample.key},${this.defaultLabelsText}` : this.defaultLabelsText;
    const s: SeriesState = {
      key: sample.key,
      labels: sample.labels,
      value: sample.value,
      tsMs,
      prefix: `${this.exportName}${inner ? `{${inner}}` : ''} `,
    };
    this.series.set(sample.key, s);
    for (const l of Object.keys(sample.labels)) if (!this.labelNames.includes(l)) this.labelNames.push(l);
    this.version++;
    return s;
  }

  remove(key: string): void {
    if (this.series.delete(key)) this.version++;
  }

  /** The client library's view (OpenMetrics): fresh series only. */
  get(): { name: string; help: string; type: SampleType; values: ClientValue[]; aggregator: string } {
    const cutoff = this.freshness.cutoffMs();
    const values: ClientValue[] = [];
    for (const s of this.series.values())
      if (s.tsMs >= cutoff) values.push({ value: s.value, labels: { ...s.labels } });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' };
  }

  reset(): void {
    // Required by the client's Metric interface; workload values are owned by the telemetry service.
  }

  /**
   * Appends this family in the Prometheus text format, fresh series only; returns false (appending
   * nothing) when every series is past the TTL.
   */
  renderPrometheusText(lines: string[], header: string): boolean {
    const cutoff = this.freshness.cutoffMs();
    let any = false;
    for (const s of this.series.values()) {
      if (s.tsMs < cutoff) continue;
      if (!any) {
        lines.push(header);
        any = true;
      }
      lines.push(s.prefix + formatValue(s.value));
    }
    return any;
  }
}

function formatValue(v: number): string {
  return Number.isFinite(v) ? `${v}` : Number.isNaN(v) ? 'NaN' : v < 0 ? '-Inf' : '+Inf';
}

/** When a series stops being exported: its latest value is older than the TTL. */
export interface Freshness {
  cutoffMs(): number;
}

export interface ApplyResult {
  accepted: TelemetrySample[];
  rejected: SampleRejection[];
  /** Series removed to make room (past the TTL), to be forgotten by the store too. */
  evicted: { name: string; key: string }[];
  /** Families created by this snapshot (to register) and emptied by eviction (to unregister). */
  created: WorkloadFamily[];
  removed: WorkloadFamily[];
}

/**
 * Every workload series the sidecar holds, bounded by `maxSeries`. A new series beyond the limit is
 * refused (`series_limit`) unless series past the TTL can be evicted to make room; updates of
 * existing series are always taken. A name keeps the type it was first seen with while it has series.
 */
export class WorkloadSeriesStore {
  readonly families = new Map<string, WorkloadFamily>();
  private readonly byExportName = new Map<string, WorkloadFamily>();
  private total = 0;

  constructor(
    readonly maxSeries: number,
    private readonly ttlMs: number,
    private readonly defaultLabelsText: string,
    private readonly now: () => number = Date.now
  ) {}

  readonly freshness: Freshness = { cutoffMs: () => this.now() - this.ttlMs };

  get size(): number {
    return this.total;
  }

  family(name: string): WorkloadFamily | undefined {
    return this.families.get(name);
  }

  /** Fresh and stale series counts (stale: past the TTL, held but no longer exported). */
  counts(): { fresh: number; stale: number } {
    const cutoff = this.freshness.cutoffMs();
    let fresh = 0;
    for (const f of this.families.values()) for (const s of f.series.values()) if (s.tsMs >= cutoff) fresh++;
    return { fresh, stale: this.total - fresh };
  }

  apply(samples: readonly TelemetrySample[], tsMs: number, paths: (i: number) => string): ApplyResult {
    const out: ApplyResult = { accepted: [], rejected: [], evicted: [], created: [], removed: [] };
    let swept = false;
    const refuse = (i: number, s: TelemetrySample, reason: RejectReason, message: string): void => {
      out.rejected.push({ path: paths(i), name: s.name, reason, message });
    };
    samples.forEach((s, i) => {
      let fam = this.families.get(s.name);
      if (fam && fam.type !== s.type) {
        return refuse(i, s, 'type_conflict', `${s.name} is a ${fam.type}; a ${s.type} sample cannot change that`);
      }
      const existing = fam?.series.get(s.key);
      if (existing) {
        existing.value = s.value;
        existing.tsMs = tsMs;
        out.accepted.push(s);
        return;
      }
      if (this.total >= this.maxSeries && !swept) {
        swept = true;
        this.evictStale(out);
        fam = this.families.get(s.name);
      }
      if (this.total >= this.maxSeries) {
        return refuse(i, s, 'series_limit', `the ${this.maxSeries}-series limit (telemetry.max_series) is reached`);
      }
      if (!fam) {
        const exportName = exportNameOf(s.name, s.type);
        const clash = this.byExportName.get(exportName);
        if (RESERVED_EXPORT_NAMES.includes(exportName) || clash) {
          return refuse(
            i,
            s,
            'name_conflict',
            `${s.name} would be exported as ${exportName}, which ${clash ? `${clash.workloadName} already uses` : 'is the sidecar’s own'}`
          );
        }
        const help = s.help ?? `Workload telemetry ${s.type} ${s.name}`;
        fam = new WorkloadFamily(s.name, exportName, s.type, help, this.defaultLabelsText, this.freshness);
        this.families.set(s.name, fam);
        this.byExportName.set(exportName, fam);
        out.created.push(fam);
      }
      fam.add(s, tsMs);
      this.total++;
      out.accepted.push(s);
    });
    return out;
  }

  /** Loads stored series at start-up (newest first, up to the limit). */
  restore(rows: readonly { sample: TelemetrySample; tsMs: number }[]): WorkloadFamily[] {
    const paths = (): string => 'store';
    const created: WorkloadFamily[] = [];
    for (const r of rows) {
      if (this.total >= this.maxSeries) break;
      const res = this.apply([r.sample], r.tsMs, paths);
      created.push(...res.created);
    }
    return created;
  }

  private evictStale(out: ApplyResult): void {
    const cutoff = this.freshness.cutoffMs();
    for (const [name, fam] of this.families) {
      for (const [key, s] of fam.series) {
        if (s.tsMs >= cutoff) continue;
        fam.remove(key);
        this.total--;
        out.evicted.push({ name, key });
      }
      if (fam.series.size === 0) {
        this.families.delete(name);
        this.byExportName.delete(fam.exportName);
        out.removed.push(fam);
      }
    }
  }
}
