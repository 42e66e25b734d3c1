import { z } from 'zod';
import type { TelemetryRepository } from '../store/telemetry-repository';
import type { MetricsRegistry, Gauge } from '../metrics/metrics-registry';
import type { EventLog } from '../events/event-log';

const METRIC_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Bounds the series a workload can create on the sidecar's /metrics. */
export const MAX_WORKLOAD_METRICS = 256;

export const telemetrySnapshotSchema = z.object({
  ts: z.iso.datetime({ offset: true }).optional().describe('When the snapshot was taken (defaults to receipt time)'),
  metrics: z
    .record(z.string().regex(METRIC_NAME, 'metric names are [a-zA-Z_][a-zA-Z0-9_]*'), z.number().finite())
    .refine((m) => Object.keys(m).length > 0, 'at least one metric'),
  labels: z.record(z.string(), z.string()).default({}),
});
export type TelemetrySnapshot = z.infer<typeof telemetrySnapshotSchema>;

export type TelemetryListener = (snapshot: {
  ts: string;
  metrics: Record<string, number>;
  labels: Record<string, string>;
}) => void;

/**
 * Workload telemetry from any origin (file, NATS, REST): stored (latest + samples for rules and
 * verification) and exported as `lookout_workload_<name>` gauges plus one info series.
 */
export class TelemetryService {
  private readonly gauges = new Map<string, Gauge>();
  private readonly info: Gauge<'model' | 'generation'>;
  private readonly listeners = new Set<TelemetryListener>();
  private lastInfo: { model: string; generation: string } | null = null;
  readonly received;
  readonly dropped;

  constructor(
    private readonly repo: TelemetryRepository,
    private readonly metrics: MetricsRegistry,
    private readonly events: EventLog
  ) {
    this.info = metrics.gauge({
      name: 'lookout_workload_info',
      help: 'Always 1; labels carry the model and generation the workload reports',
      labelNames: ['model', 'generation'] as const,
    });
    this.received = metrics.counter({
      name: 'lookout_telemetry_snapshots_total',
      help: 'Telemetry snapshots accepted, by origin',
      labelNames: ['origin'] as const,
    });
    this.dropped = metrics.counter({
      name: 'lookout_telemetry_metrics_dropped_total',
      help: `Workload metrics not exported because the ${MAX_WORKLOAD_METRICS}-name limit was reached`,
    });
    for (const v of repo.latest()) this.gaugeFor(v.name)?.set(v.value);
  }

  private gaugeFor(name: string): Gauge | undefined {
    let g = this.gauges.get(name);
    if (g) return g;
    if (this.gauges.size >= MAX_WORKLOAD_METRICS) return undefined;
    g = this.metrics.gauge({ name: `lookout_workload_${name}`, help: `Workload telemetry value ${name}` });
    this.gauges.set(name, g);
    return g;
  }

  /** Takes an already validated snapshot. */
  ingest(snapshot: TelemetrySnapshot, origin: 'watcher' | 'nats' | 'api', subject = ''): void {
    const source = origin === 'watcher' ? 'watcher' : 'workload';
    // Refused before anything is stored when the store takes no ingestion now.
    this.events.assertAccepts(source);
    const ts = snapshot.ts ? new Date(snapshot.ts).toISOString() : new Date().toISOString();
    this.repo.record(ts, snapshot.metrics, snapshot.labels, origin);
    for (const [name, value] of Object.entries(snapshot.metrics)) {
      const g = this.gaugeFor(name);
      if (g) g.set(value);
      else this.dropped.inc();
    }
    const model = snapshot.labels['model'];
    const generation = snapshot.labels['generation'];
    if (model && generation && (this.lastInfo?.model !== model || this.lastInfo.generation !== generation)) {
      this.info.reset();
      this.info.set({ model, generation }, 1);
      this.lastInfo = { model, generation };
    }
    this.received.inc({ origin });
    this.events.append({
      source,
      kind: 'telemetry.received',
      severity: 'debug',
      subject,
      ts,
      data: { metrics: snapshot.metrics, labels: snapshot.labels, origin },
    });
    for (const l of this.listeners) l({ ts, metrics: snapshot.metrics, labels: snapshot.labels });
  }

  onSnapshot(listener: TelemetryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  latest(): Record<string, { value: number; ts: string }> {
    return Object.fromEntries(this.repo.latest().map((v) => [v.name, { value: v.value, ts: v.ts }]));
  }
}
