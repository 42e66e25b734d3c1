import { SNAPSHOT_SID, type TelemetryRepository } from '../store/telemetry-repository';

/** A series a history source yields values for. */
export interface HistorySeriesMeta {
  name: string;
  key: string;
  labels: Record<string, string>;
}

/**
 * Rows of history in columns (receipt time, series id, value), `length` of them: a page a backtest
 * walks without allocating an object per row.
 */
export interface HistoryPage {
  length: number;
  t: Float64Array;
  sid: Int32Array;
  value: Float64Array;
}

export const EMPTY_PAGE: HistoryPage = {
  length: 0,
  t: new Float64Array(0),
  sid: new Int32Array(0),
  value: new Float64Array(0),
};

/** A page with room for `n` rows. */
export function newPage(n: number): HistoryPage {
  return { length: 0, t: new Float64Array(n), sid: new Int32Array(n), value: new Float64Array(n) };
}

/**
 * Workload telemetry over a range, in time order, a page at a time (bounded memory whatever the range).
 * A row's `t` is when the value counts as received; sid 0 rows carry the newest snapshot's receipt
 * time (epoch ms) as their value. `nextPage` returns [] at the end and throws HistorySourceError when
 * the source stops answering.
 */
export interface TelemetryHistory {
  readonly kind: 'store' | 'prometheus';
  meta(sid: number): HistorySeriesMeta | undefined;
  nextPage(): Promise<HistoryPage> | HistoryPage;
  /** Receipt time of the newest snapshot before the first row, if known. */
  readonly newestBefore: number | null;
  /** Rows read so far and distinct series seen. */
  stats(): { rows: number; series: number };
  /** Every row up to this time (epoch ms) has been returned: a tick up to it needs no further page. */
  covered(): number;
}

/** Rows read from SQLite per page. */
const PAGE_ROWS = 4096;

/**
 * The sidecar's own history (telemetry_history): the values the live guardian read, by receipt time.
 * Reads from `preloadFrom` so series received shortly before the range are fresh at its first tick
 * as they were live.
 */
export class StoreHistory implements TelemetryHistory {
  readonly kind = 'store' as const;
  readonly newestBefore: number | null;
  private readonly metas = new Map<number, HistorySeriesMeta>();
  private readonly sids: number[];
  private after: { t: number; sid: number };
  private done = false;
  private rows = 0;
  private coveredTo = -Infinity;
  private readonly seen = new Set<number>();
  /** One page's columns, reused: the engine has used a page up before it asks for the next. */
  private readonly page = newPage(PAGE_ROWS);

  constructor(
    private readonly repo: TelemetryRepository,
    names: readonly string[],
    withSnapshots: boolean,
    preloadFrom: number,
    private readonly to: number
  ) {
    for (const s of repo.historySeriesOf(names))
      this.metas.set(s.sid, { name: s.name, key: s.series, labels: s.labels });
    this.sids = [...this.metas.keys()];
    if (withSnapshots) this.sids.push(SNAPSHOT_SID);
    this.after = { t: preloadFrom - 1, sid: Number.MAX_SAFE_INTEGER };
    this.newestBefore = withSnapshots ? repo.snapshotBefore(preloadFrom) : null;
  }

  meta(sid: number): HistorySeriesMeta | undefined {
    return this.metas.get(sid);
  }

  nextPage(): HistoryPage {
    if (this.done || !this.sids.length) return EMPTY_PAGE;
    const rows = this.repo.historyPage(this.sids, this.after, this.to, PAGE_ROWS);
    if (rows.length < PAGE_ROWS) this.done = true;
    const last = rows.at(-1);
    if (last) this.after = { t: last[0], sid: last[1] };
    // More rows at the last row's time may follow in the next page.
    this.coveredTo = this.done ? Infinity : last![0] - 1;
    this.rows += rows.length;
    const p = this.page;
    p.length = rows.length;
    for (let i = 0; i < rows.length; i++) {
      const [t, sid, value] = rows[i]!;
      p.t[i] = t;
      p.sid[i] = sid;
      // A snapshot marker carries when the snapshot was received.
      p.value[i] = sid === SNAPSHOT_SID ? t : value;
      if (sid !== SNAPSHOT_SID) this.seen.add(sid);
    }
    return p;
  }

  stats(): { rows: number; series: number } {
    return { rows: this.rows, series: this.seen.size };
  }

  covered(): number {
    return this.sids.length ? this.coveredTo : Infinity;
  }
}
