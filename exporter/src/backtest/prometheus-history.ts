import { z } from 'zod';
import { type SampleType, RESERVED_LABELS, exportNameOf, seriesKey } from '../telemetry';
import { BacktestCancelledError, HistorySourceError } from './backtest-errors';
import {
  EMPTY_PAGE,
  type HistoryPage,
  type HistorySeriesMeta,
  type TelemetryHistory,
  newPage,
} from './telemetry-history';

/** A signal to read: its telemetry name and type (which decides its exported name). */
export interface PromSignal {
  name: string;
  type: SampleType;
}

export interface PrometheusHistoryOptions {
  url: string;
  /** The sidecar's node label: only its own series are read. */
  node: string;
  signals: readonly PromSignal[];
  /** Also read the newest-snapshot time (for telemetry_stale rules). */
  withSnapshots: boolean;
  from: number;
  to: number;
  stepMs: number;
  /** Points per series in one query_range (Prometheus answers at most 11,000). */
  chunkPoints: number;
  /** Timeout of one request. */
  timeoutMs: number;
  /** Aborted when the run is cancelled: a request in flight stops at once. */
  signal?: AbortSignal;
}

const matrixSchema = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('matrix'),
    result: z.array(
      z.object({ metric: z.record(z.string(), z.string()), values: z.array(z.tuple([z.number(), z.string()])) })
    ),
  }),
});

/** Labels Prometheus or the sidecar adds to a workload series; what is left are the workload's own. */
const ADDED_LABELS = new Set(['__name__', ...RESERVED_LABELS]);

/** Rows a chunk may hold before the next chunk is made shorter. */
const CHUNK_ROWS_TARGET = 200_000;

/**
 * Workload telemetry from Prometheus: `query_range` of `lookout_workload_<name>{node="<node>"}` for each
 * signal, step = the guardian tick, in chunks read one after the other (bounded memory). A value at
 * step t is the last one scraped at or before t: a series counts as received at t while Prometheus has
 * it (docs/backtest.md says what that means for `stale_after`). The newest snapshot comes from
 * `timestamp(lookout_workload_telemetry_age_seconds) - lookout_workload_telemetry_age_seconds`.
 */
export class PrometheusHistory implements TelemetryHistory {
  readonly kind = 'prometheus' as const;
  readonly newestBefore = null;
  private readonly metas = new Map<number, HistorySeriesMeta>();
  private readonly sids = new Map<string, number>();
  private next: number;
  private points: number;
  private rows = 0;

  constructor(private readonly opts: PrometheusHistoryOptions) {
    this.next = opts.from;
    this.points = Math.max(10, Math.min(opts.chunkPoints, 11_000));
  }

  meta(sid: number): HistorySeriesMeta | undefined {
    return this.metas.get(sid);
  }

  stats(): { rows: number; series: number } {
    return { rows: this.rows, series: this.metas.size };
  }

  covered(): number {
    // Chunks end on a step; everything before the next chunk's start has been read.
    return this.next > this.opts.to ? Infinity : this.next - 1;
  }

  private sidOf(name: string, labels: Record<string, string>): number {
    const own: Record<string, string> = {};
    for (const [k, v] of Object.entries(labels)) if (!ADDED_LABELS.has(k)) own[k] = v;
    const key = seriesKey(own);
    const id = `${name}\u0000${key}`;
    let sid = this.sids.get(id);
    if (sid === undefined) {
      sid = this.sids.size + 1;
      this.sids.set(id, sid);
      this.metas.set(sid, { name, key, labels: own });
    }
    return sid;
  }

  private async queryRange(query: string, start: number, end: number): Promise<z.infer<typeof matrixSchema>> {
    const params = new URLSearchParams({
      query,
      start: (start / 1000).toString(),
      end: (end / 1000).toString(),
      step: (this.opts.stepMs / 1000).toString(),
    });
    const url = `${this.opts.url.replace(/\/+$/, '')}/api/v1/query_range`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: params.toString(),
        signal: this.opts.signal
          ? AbortSignal.any([this.opts.signal, AbortSignal.timeout(this.opts.timeoutMs)])
          : AbortSignal.timeout(this.opts.timeoutMs),
      });
    } catch (err) {
      if (this.opts.signal?.aborted) throw new BacktestCancelledError('cancelled');
      const e = err as Error;
      const why =
        e.name === 'TimeoutError' || e.name === 'AbortError'
          ? `no answer within ${this.opts.timeoutMs} ms (backtest.prometheus_timeout_ms)`
          : `${e.message}${e.cause instanceof Error ? `: ${e.cause.message}` : ''}`;
      throw new HistorySourceError(`Prometheus at ${this.opts.url} did not answer: ${why}`, { cause: err });
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch (err) {
      throw new HistorySourceError(`Prometheus answered ${res.status} with a body that is not JSON`, { cause: err });
    }
    const parsed = matrixSchema.safeParse(body);
    if (!res.ok || !parsed.success) {
      const msg = (body as { error?: unknown } | null)?.error;
      throw new HistorySourceError(
        `Prometheus answered ${res.status} to query_range ${query}: ${typeof msg === 'string' ? msg : 'not a matrix'}`
      );
    }
    return parsed.data;
  }

  async nextPage(): Promise<HistoryPage> {
    // An empty chunk is not the end of the range: read on until a chunk has rows or the range ends.
    while (this.next <= this.opts.to) {
      const rows = await this.chunk();
      if (rows.length) {
        const page = newPage(rows.length);
        page.length = rows.length;
        rows.forEach((r, i) => {
          page.t[i] = r.t;
          page.sid[i] = r.sid;
          page.value[i] = r.value;
        });
        return page;
      }
    }
    return EMPTY_PAGE;
  }

  private async chunk(): Promise<{ t: number; sid: number; value: number }[]> {
    const { from, to, stepMs } = this.opts;
    const start = this.next;
    const end = Math.min(to, start + (this.points - 1) * stepMs);
    // Steps stay on the grid from + k·step whatever the chunk size.
    const next = end + stepMs - ((end - from) % stepMs);
    const node = this.opts.node.replace(/["\\]/g, (c) => `\\${c}`);
    const rows: { t: number; sid: number; value: number }[] = [];
    for (const s of this.opts.signals) {
      const m = await this.queryRange(`${exportNameOf(s.name, s.type)}{node="${node}"}`, start, end);
      for (const series of m.data.result) {
        const sid = this.sidOf(s.name, series.metric);
        for (const [ts, v] of series.values) rows.push({ t: Math.round(ts * 1000), sid, value: Number(v) });
      }
    }
    if (this.opts.withSnapshots) {
      const age = `lookout_workload_telemetry_age_seconds{node="${node}"}`;
      const m = await this.queryRange(`timestamp(${age}) - ${age}`, start, end);
      for (const series of m.data.result) {
        for (const [ts, v] of series.values) rows.push({ t: Math.round(ts * 1000), sid: 0, value: Number(v) * 1000 });
      }
    }
    rows.sort((a, b) => a.t - b.t || a.sid - b.sid);
    // Only a chunk read whole moves the cover on: a failed one is read again, never half-used.
    this.next = next;
    this.rows += rows.length;
    if (rows.length > CHUNK_ROWS_TARGET) {
      this.points = Math.max(10, Math.floor((this.points * CHUNK_ROWS_TARGET) / rows.length));
    }
    return rows;
  }
}
