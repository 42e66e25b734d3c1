import {
  Counter,
  type CounterConfiguration,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  Registry,
  collectDefaultMetrics,
} from '@prometheus-io/client';
import { PrometheusTextRenderer } from './prometheus-text-renderer';

export type { Counter, Gauge, Histogram };

/**
 * The sidecar's own registries (never the global one). Every metric is registered on two
 * registries that render the same objects: one in Prometheus text format, one in OpenMetrics,
 * so `/metrics` answers either by the Accept header without re-collecting. The text format is
 * rendered by `PrometheusTextRenderer` (same output as the client's, much cheaper at 10,000
 * series); OpenMetrics by the client.
 */
export class MetricsRegistry {
  readonly prometheus = new Registry();
  readonly openMetrics = new Registry(Registry.OPENMETRICS_CONTENT_TYPE);
  private readonly names = new Set<string>();
  /**
   * Each metric's registered name. The client's OpenMetrics rendering strips `_total` from counter
   * names in place, on the objects both registries share; the text format keeps the real name.
   */
  private readonly registeredName = new WeakMap<object, string>();
  private readonly textRenderer: PrometheusTextRenderer;

  constructor(node: string) {
    for (const r of this.registries()) {
      r.setDefaultLabels({ node });
      collectDefaultMetrics({ register: r });
      // A few of the client's default Node.js metrics break Prometheus naming rules (a gauge named
      // *_total, a type in the name) and fail `promtool check metrics`; the same facts remain in
      // nodejs_active_handles, nodejs_active_requests and nodejs_eventloop_lag_* series.
      for (const m of r.getMetricsAsArray()) {
        const { name, type } = m as unknown as { name: string; type: string };
        if ((type !== 'counter' && name.endsWith('_total')) || /_(histogram|summary|gauge|counter)$/.test(name)) {
          r.removeSingleMetric(name);
        }
      }
    }
    for (const m of this.prometheus.getMetricsAsArray()) this.remember(m);
    this.textRenderer = new PrometheusTextRenderer(this.prometheus, { node }, (m) => this.registeredName.get(m));
  }

  private remember<M extends object>(metric: M): M {
    this.registeredName.set(metric, (metric as unknown as { name: string }).name);
    return metric;
  }

  private registries(): Registry[] {
    return [this.prometheus, this.openMetrics as unknown as Registry];
  }

  private claim(name: string): void {
    if (!name.startsWith('lookout_')) throw new Error(`metric ${name}: sidecar metrics start with lookout_`);
    if (this.names.has(name)) throw new Error(`metric ${name} registered twice`);
    this.names.add(name);
  }

  counter<T extends string>(cfg: Omit<CounterConfiguration<T>, 'registers'>): Counter<T> {
    this.claim(cfg.name);
    return this.remember(new Counter<T>({ ...cfg, registers: this.registries() }));
  }

  gauge<T extends string>(cfg: Omit<GaugeConfiguration<T>, 'registers'>): Gauge<T> {
    this.claim(cfg.name);
    return this.remember(new Gauge<T>({ ...cfg, registers: this.registries() }));
  }

  histogram<T extends string>(cfg: Omit<HistogramConfiguration<T>, 'registers'>): Histogram<T> {
    this.claim(cfg.name);
    return this.remember(new Histogram<T>({ ...cfg, registers: this.registries() }));
  }

  /**
   * Registers a metric object the sidecar builds itself (a workload telemetry family): it renders on
   * both registries like the client's own metrics. `name` is claimed like any other.
   */
  registerCustom(metric: { name: string; type: string; help: string; get(): unknown; reset(): void }): void {
    this.claim(metric.name);
    this.remember(metric);
    for (const r of this.registries()) r.registerMetric(metric as never);
  }

  /** Removes a metric registered with `registerCustom` (a workload family whose series were evicted). */
  unregister(name: string): void {
    if (!this.names.delete(name)) return;
    // The registries key metrics by the name they were registered with, which OpenMetrics rendering
    // does not change (it renames the object, not the key).
    for (const r of this.registries()) r.removeSingleMetric(name);
  }

  /** Whether a metric name is taken. */
  has(name: string): boolean {
    return this.names.has(name);
  }

  /** Names of every lookout_ metric registered (the docs drift test reads this). */
  registeredNames(): string[] {
    return [...this.names].sort();
  }

  async render(accept: string | undefined): Promise<{ contentType: string; body: string }> {
    const wantsOpenMetrics = !!accept && /application\/openmetrics-text/.test(accept);
    if (wantsOpenMetrics) return { contentType: this.openMetrics.contentType, body: await this.openMetrics.metrics() };
    return { contentType: this.prometheus.contentType, body: await this.textRenderer.render() };
  }
}

/** Latency buckets in seconds for in-process work (store writes, handlers). */
export const FAST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Buckets in seconds for human- or workload-scale waits (actions, incidents, tasks). */
export const SLOW_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600, 14400, 86400];
