import type { Registry } from '@prometheus-io/client';

/** One series as the client's `metric.get()` / `getForPromString()` hands it out. */
interface SeriesValue {
  value: number;
  labels?: Record<string, string | number>;
  metricName?: string;
  /** Histograms: the series' own labels, shared by its _bucket, _sum and _count lines. */
  sharedLabels?: Record<string, string | number>;
}

interface MetricData {
  name: string;
  help: string;
  type: string;
  values?: SeriesValue[];
}

interface RenderableMetric {
  name: string;
  get(): Promise<MetricData> | MetricData;
  getForPromString?(): Promise<MetricData> | MetricData;
}

/**
 * A metric that renders its own lines (the workload telemetry families: every line pre-rendered but
 * the value). It appends the header and its series, or nothing at all when it has none to show.
 */
interface SelfRenderingMetric {
  name: string;
  help: string;
  type: string;
  renderPrometheusText(lines: string[], header: string): boolean;
}

const selfRendering = (m: object): m is SelfRenderingMetric =>
  typeof (m as { renderPrometheusText?: unknown }).renderPrometheusText === 'function';

/** Formatted label lists by label value, one level per label name (the leaf holds the text). */
type ValueTree = Map<unknown, ValueTree | string>;

const NEEDS_ESCAPE = /[\\\n"]/;

function escapeLabelValue(v: unknown): string {
  const s = String(v);
  // Almost no label value needs escaping; testing once is cheaper than three replaces.
  return NEEDS_ESCAPE.test(s) ? s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : s;
}

function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isFinite(v)) return `${v}`;
  if (Number.isNaN(v)) return 'NaN';
  return v < 0 ? '-Inf' : '+Inf';
}

/** `a="x",b="y"` for the labels of `obj` not in `exclude`. */
function formatLabels(obj: Record<string, unknown>, exclude?: Record<string, unknown>): string {
  let out = '';
  for (const k in obj) {
    if (exclude && Object.hasOwn(exclude, k)) continue;
    out += `${out ? ',' : ''}${k}="${escapeLabelValue(obj[k])}"`;
  }
  return out;
}

/**
 * Renders a client registry in the Prometheus text format (0.0.4): the same series, values and
 * text as the client's own `registry.metrics()` with default labels (labels in the order the metric
 * declares them), at a fraction of its cost on large label sets. The client builds every series'
 * label string from scratch on each scrape (a copy of the labels merged with the default labels,
 * `Object.entries`, three regex replaces per value) and concatenates one deep string; here
 *  - the default labels are pre-rendered once,
 *  - each series' `name{labels} ` prefix is remembered per metric, keyed by its label values (so a
 *    series whose values change is simply a different key),
 *  - label values are escaped only when they contain a character that needs it,
 *  - lines are joined once into a flat string (a deep concatenation must be flattened before it
 *    can be measured and written, which cost more than building it).
 * Values are always read fresh through `get()` (which runs each metric's `collect()`): nothing of
 * a previous scrape's values is reused.
 */
export class PrometheusTextRenderer {
  private readonly prefixCache = new WeakMap<object, { name: string; tree: ValueTree; shared: ValueTree }>();
  private readonly headerCache = new WeakMap<object, { name: string; help: string; text: string }>();
  private readonly leCache = new Map<unknown, string>();
  private readonly defaultNames: string[];
  private readonly defaultText: string;

  constructor(
    private readonly registry: Registry,
    private readonly defaultLabels: Readonly<Record<string, string>>,
    /** The name a metric was registered with (OpenMetrics rendering renames counters in place). */
    private readonly nameOf: (metric: object) => string | undefined = () => undefined
  ) {
    this.defaultNames = Object.keys(defaultLabels);
    this.defaultText = formatLabels(defaultLabels);
  }

  async render(): Promise<string> {
    const metrics = this.registry.getMetricsAsArray() as unknown as RenderableMetric[];
    // Collected together, as the client does: a slow async collect() does not serialise the rest.
    const data = await Promise.all(
      metrics.map((m) =>
        selfRendering(m) ? null : typeof m.getForPromString === 'function' ? m.getForPromString() : m.get()
      )
    );
    const lines: string[] = [];
    for (let i = 0; i < metrics.length; i++) {
      const m = metrics[i]!;
      const mark = lines.length;
      // The client separates metrics with an empty line.
      if (mark > 0) lines.push('');
      if (selfRendering(m)) {
        const name = this.nameOf(m) ?? m.name;
        const header = this.header(m, name, { name, help: m.help, type: m.type });
        if (!m.renderPrometheusText(lines, header)) lines.length = mark;
        continue;
      }
      this.renderMetric(m, data[i]!, lines);
    }
    lines.push('');
    return lines.join('\n');
  }

  private header(metric: object, name: string, d: MetricData): string {
    const cached = this.headerCache.get(metric);
    if (cached && cached.name === name && cached.help === d.help) return cached.text;
    const n = escapeHelp(name);
    const text = `# HELP ${n} ${escapeHelp(d.help)}\n# TYPE ${n} ${d.type}`;
    this.headerCache.set(metric, { name, help: d.help, text });
    return text;
  }

  private renderMetric(metric: RenderableMetric, d: MetricData, lines: string[]): void {
    const name = this.nameOf(metric) ?? d.name;
    lines.push(this.header(metric, name, d));
    const values = d.values ?? [];
    if (!values.length) return;
    const labelNames = (metric as { labelNames?: readonly string[] }).labelNames ?? [];
    let cache = this.prefixCache.get(metric);
    if (!cache || cache.name !== name) {
      cache = { name, tree: new Map(), shared: new Map() };
      this.prefixCache.set(metric, cache);
    }
    for (const v of values) {
      const prefix =
        v.sharedLabels === undefined && v.metricName === undefined
          ? this.seriesPrefix(cache.tree, labelNames, name, v.labels ?? {})
          : this.histogramPrefix(v, name, cache.shared, labelNames);
      lines.push(prefix + formatValue(v.value));
    }
  }

  /** `name{labels} ` of a counter or gauge series, from the tree when these label values were seen before. */
  private seriesPrefix(
    tree: ValueTree,
    labelNames: readonly string[],
    name: string,
    labels: Record<string, unknown>
  ): string {
    return this.lookup(tree, labelNames, labels, () => {
      const text = this.withDefaults(formatLabels(labels), labels, undefined);
      return `${name}${text ? `{${text}}` : ''} `;
    });
  }

  /** The leaf of `tree` for the values `labels` holds under `labelNames`, made by `make` on first sight. */
  private lookup(
    tree: ValueTree,
    labelNames: readonly string[],
    labels: Record<string, unknown>,
    make: () => string
  ): string {
    let node: ValueTree = tree;
    const last = labelNames.length - 1;
    for (let i = 0; i < last; i++) {
      const v = labels[labelNames[i]!];
      let next = node.get(v) as ValueTree | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(v, next);
      }
      node = next;
    }
    const leafKey = last >= 0 ? labels[labelNames[last]!] : undefined;
    const hit = node.get(leafKey);
    if (typeof hit === 'string') return hit;
    const made = make();
    node.set(leafKey, made);
    return made;
  }

  /** Histogram lines: own labels (`le`), default labels, then the series' shared labels. */
  private histogramPrefix(v: SeriesValue, name: string, sharedTree: ValueTree, labelNames: readonly string[]): string {
    const own = v.labels ?? {};
    const shared = v.sharedLabels;
    let text: string;
    if (shared !== undefined && 'le' in own && Object.keys(own).length === 1 && !Object.hasOwn(shared, 'le')) {
      let le = this.leCache.get(own['le']);
      if (le === undefined) {
        le = `le="${escapeLabelValue(own['le'])}"`;
        this.leCache.set(own['le'], le);
      }
      text = le;
    } else {
      text = formatLabels(own, shared);
    }
    text = this.withDefaults(text, own, shared);
    if (shared !== undefined) {
      const s = this.lookup(sharedTree, labelNames, shared, () => formatLabels(shared));
      if (s) text = text ? `${text},${s}` : s;
    }
    return `${v.metricName ?? name}${text ? `{${text}}` : ''} `;
  }

  /** Appends the default labels a series does not set itself (the client's `??=`). */
  private withDefaults(
    text: string,
    own: Record<string, unknown>,
    shared: Record<string, unknown> | undefined
  ): string {
    if (!this.defaultNames.length) return text;
    let defaults = this.defaultText;
    if (this.defaultNames.some((k) => Object.hasOwn(own, k) || (shared && Object.hasOwn(shared, k)))) {
      const rest: Record<string, unknown> = {};
      for (const k of this.defaultNames) {
        if (!Object.hasOwn(own, k) && !(shared && Object.hasOwn(shared, k))) rest[k] = this.defaultLabels[k];
      }
      defaults = formatLabels(rest);
    }
    if (!defaults) return text;
    return text ? `${text},${defaults}` : defaults;
  }
}
