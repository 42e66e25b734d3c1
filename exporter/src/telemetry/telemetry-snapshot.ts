import { z } from 'zod';

/**
 * The workload telemetry snapshot, from a file, NATS or a test:
 *
 *     { ts?, labels?, metrics?: { name: number }, samples?: [{ name, labels?, value, type?, help? }] }
 *
 * `metrics` is the original form (unlabeled gauges) and stays valid; `samples` adds labels and a type
 * (gauge or counter). The envelope must be well formed or the whole snapshot is refused. Each metric
 * and sample is then judged on its own: a bad one is refused with a reason and its path, and the good
 * ones are kept (the "good part kept" rule). A snapshot with nothing good left is refused.
 */

export const METRIC_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const MAX_NAME_LENGTH = 128;
export const MAX_LABEL_NAME_LENGTH = 64;
export const MAX_LABEL_VALUE_LENGTH = 256;
export const MAX_LABELS_PER_SAMPLE = 16;
export const MAX_HELP_LENGTH = 200;
/**
 * Labels a workload may not set: `node` is the sidecar's own label on every series, and `job` and
 * `instance` are the scrape target's (with `honor_labels: true` a workload value would replace them).
 */
export const RESERVED_LABELS: readonly string[] = ['node', 'job', 'instance'];

export const SAMPLE_TYPES = ['gauge', 'counter'] as const;
export type SampleType = (typeof SAMPLE_TYPES)[number];

/** Why a metric or sample was not kept; the label of `lookout_telemetry_samples_rejected_total`. */
export const REJECT_REASONS = [
  'invalid_sample',
  'invalid_name',
  'invalid_label',
  'too_many_labels',
  'not_finite',
  'negative_counter',
  'duplicate_series',
  'type_conflict',
  'name_conflict',
  'series_limit',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface TelemetrySample {
  name: string;
  labels: Record<string, string>;
  /** Canonical label text, sorted by label name: `pair="BTC-ETH",venue="CME"`; '' when unlabeled. */
  key: string;
  value: number;
  type: SampleType;
  help: string | null;
}

export interface SampleRejection {
  /** Where in the snapshot: `metrics.drift score`, `samples.12.labels.__x`. */
  path: string;
  name: string | null;
  reason: RejectReason;
  message: string;
}

export interface ParsedSnapshot {
  /** The snapshot's own time (ISO), or null when it carries none (receipt time is used). */
  ts: string | null;
  labels: Record<string, string>;
  samples: TelemetrySample[];
  rejected: SampleRejection[];
}

export type SnapshotParse = { ok: true; snapshot: ParsedSnapshot } | { ok: false; error: string; issues: string[] };

const envelopeSchema = z.object({
  ts: z.iso.datetime({ offset: true }).optional().describe('When the snapshot was taken (defaults to receipt time)'),
  metrics: z.record(z.string(), z.unknown()).optional().describe('Unlabeled gauges: { name: number }'),
  samples: z.array(z.unknown()).optional().describe('Labeled samples: [{ name, labels, value, type }]'),
  labels: z.record(z.string(), z.string().max(MAX_LABEL_VALUE_LENGTH)).default({}),
});

const sampleShape = z.object({
  name: z.string(),
  labels: z.record(z.string(), z.unknown()).optional(),
  value: z.unknown(),
  type: z.unknown().optional(),
  help: z.unknown().optional(),
});

const NON_FINITE_TEXT = /^[+-]?(nan|inf|infinity)$/i;

function escapeLabelValue(v: string): string {
  return /[\\\n"]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : v;
}

/** `a="x",b="y"` with names sorted: one spelling per label set (the series key and the export text). */
export function seriesKey(labels: Record<string, string>): string {
  const names = Object.keys(labels);
  if (names.length === 0) return '';
  if (names.length > 1) names.sort();
  let out = '';
  for (const n of names) out += `${out ? ',' : ''}${n}="${escapeLabelValue(labels[n]!)}"`;
  return out;
}

/** Whether a metric name is acceptable; a message saying why not otherwise. */
export function metricNameProblem(name: string): string | null {
  if (!METRIC_NAME_RE.test(name))
    return `metric name ${JSON.stringify(name.slice(0, 80))} is not [a-zA-Z_][a-zA-Z0-9_]*`;
  if (name.length > MAX_NAME_LENGTH) return `metric name is longer than ${MAX_NAME_LENGTH} characters`;
  return null;
}

/** Whether a label name is acceptable for a workload series; a message saying why not otherwise. */
export function labelNameProblem(name: string): string | null {
  if (!LABEL_NAME_RE.test(name)) return `label name ${JSON.stringify(name.slice(0, 80))} is not [a-zA-Z_][a-zA-Z0-9_]*`;
  if (name.startsWith('__')) return `label name ${name} starts with __ (reserved by Prometheus)`;
  if (name.length > MAX_LABEL_NAME_LENGTH) return `label name is longer than ${MAX_LABEL_NAME_LENGTH} characters`;
  if (RESERVED_LABELS.includes(name)) return `label ${name} is reserved (the sidecar or the scrape sets it)`;
  return null;
}

function valueProblem(value: unknown, type: SampleType): { reason: RejectReason; message: string } | null {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { reason: 'not_finite', message: `value ${value} is not a finite number` };
    if (type === 'counter' && value < 0) return { reason: 'negative_counter', message: `counter value ${value} < 0` };
    return null;
  }
  if (typeof value === 'string' && NON_FINITE_TEXT.test(value.trim())) {
    return { reason: 'not_finite', message: `value ${JSON.stringify(value)} is not a finite number` };
  }
  return { reason: 'invalid_sample', message: `value must be a number, got ${value === null ? 'null' : typeof value}` };
}

/**
 * Judges a decoded snapshot: the envelope (refused as a whole when malformed) and every metric and
 * sample on its own. Never throws.
 */
export function parseTelemetrySnapshot(raw: unknown): SnapshotParse {
  const env = envelopeSchema.safeParse(raw);
  if (!env.success) {
    const issues = env.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    return { ok: false, error: `telemetry snapshot envelope is invalid: ${issues.join('; ')}`, issues };
  }
  const { ts, metrics, samples: rawSamples, labels } = env.data;
  if (!metrics && !rawSamples) {
    return { ok: false, error: 'telemetry snapshot has neither metrics nor samples', issues: ['(root): no metrics'] };
  }
  const samples: TelemetrySample[] = [];
  const rejected: SampleRejection[] = [];
  const seen = new Set<string>();
  const refuse = (path: string, name: string | null, reason: RejectReason, message: string): void => {
    rejected.push({ path, name, reason, message });
  };
  const keep = (path: string, s: TelemetrySample): void => {
    const id = `${s.name}{${s.key}}`;
    if (seen.has(id)) return refuse(path, s.name, 'duplicate_series', `series ${id} appears twice in this snapshot`);
    seen.add(id);
    samples.push(s);
  };

  for (const [name, value] of Object.entries(metrics ?? {})) {
    const path = `metrics.${name}`;
    const np = metricNameProblem(name);
    if (np) {
      refuse(path, null, 'invalid_name', np);
      continue;
    }
    const vp = valueProblem(value, 'gauge');
    if (vp) {
      refuse(path, name, vp.reason, vp.message);
      continue;
    }
    keep(path, { name, labels: {}, key: '', value: value as number, type: 'gauge', help: null });
  }

  (rawSamples ?? []).forEach((item, i) => {
    const path = `samples.${i}`;
    const shape = sampleShape.safeParse(item);
    if (!shape.success) {
      const first = shape.error.issues[0]!;
      return refuse(path, null, 'invalid_sample', `${first.path.map(String).join('.') || 'sample'}: ${first.message}`);
    }
    const s = shape.data;
    const np = metricNameProblem(s.name);
    if (np) return refuse(`${path}.name`, null, 'invalid_name', np);
    let type: SampleType = 'gauge';
    if (s.type !== undefined) {
      if (s.type !== 'gauge' && s.type !== 'counter') {
        return refuse(`${path}.type`, s.name, 'invalid_sample', `type must be gauge or counter`);
      }
      type = s.type;
    }
    const sampleLabels: Record<string, string> = {};
    const entries = Object.entries(s.labels ?? {});
    if (entries.length > MAX_LABELS_PER_SAMPLE) {
      return refuse(`${path}.labels`, s.name, 'too_many_labels', `more than ${MAX_LABELS_PER_SAMPLE} labels`);
    }
    for (const [ln, lv] of entries) {
      const lp = labelNameProblem(ln);
      if (lp) return refuse(`${path}.labels.${ln}`, s.name, 'invalid_label', lp);
      if (typeof lv !== 'string') {
        return refuse(`${path}.labels.${ln}`, s.name, 'invalid_label', `label value must be a string`);
      }
      if (lv.length > MAX_LABEL_VALUE_LENGTH) {
        return refuse(
          `${path}.labels.${ln}`,
          s.name,
          'invalid_label',
          `label value is longer than ${MAX_LABEL_VALUE_LENGTH} characters`
        );
      }
      sampleLabels[ln] = lv;
    }
    const vp = valueProblem(s.value, type);
    if (vp) return refuse(`${path}.value`, s.name, vp.reason, vp.message);
    let help: string | null = null;
    if (typeof s.help === 'string' && s.help.length <= MAX_HELP_LENGTH) help = s.help;
    // Labels in name order: one spelling per series in both exposition formats.
    const sorted: Record<string, string> = {};
    for (const k of Object.keys(sampleLabels).sort()) sorted[k] = sampleLabels[k]!;
    keep(path, {
      name: s.name,
      labels: sorted,
      key: seriesKey(sampleLabels),
      value: s.value as number,
      type,
      help,
    });
  });

  if (samples.length === 0) {
    const issues = rejected.slice(0, 20).map((r) => `${r.path}: ${r.message}`);
    return {
      ok: false,
      error: `telemetry snapshot has no valid metric or sample${issues.length ? `: ${issues.join('; ')}` : ''}`,
      issues,
    };
  }
  return { ok: true, snapshot: { ts: ts ? new Date(ts).toISOString() : null, labels, samples, rejected } };
}
