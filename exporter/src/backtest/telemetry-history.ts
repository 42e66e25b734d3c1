import { SNAPSHOT_SID, type HistoryRow, type TelemetryRepository } from '../store/telemetry-repository';

/** A series a history source yields values for. */
export interface HistorySeriesMeta {
  name: string;
  key: string;
  labels: Record<string, string>;
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
  nextPage(): Promise<HistoryRow[]> | HistoryRow[];
  /** Receipt time of the newest snapshot before the first row, if known. */
  readonly newestBefore: number | null;
  /** Rows read so far and distinct series seen. */
  stats(): { rows: number; series: number };
  /** Every row up to this time (epoch ms) has been returned: a tick up to it needs no further page. */
  covered(): number;
}

/** Rows read from SQLite per page. */
const PAGE_ROWS = 20_000;

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

  nextPage(): HistoryRow[] {
    if (this.done || !this.sids.length) return [];
    const page = this.repo.historyPage(this.sids, this.after, this.to, PAGE_ROWS);
    if (page.length < PAGE_ROWS) this.done = true;
    const last = page.at(-1);
    if (last) this.after = { t: last.t, sid: last.sid };
    // More rows at the last row's time may follow in the next page.
    this.coveredTo = this.done ? Infinity : last!.t - 1;
    this.rows += page.length;
    for (const r of page) {
      if (r.sid === SNAPSHOT_SID) r.value = r.t;
      else this.seen.add(r.sid);
    }
    return page;
  }

  stats(): { rows: number; series: number } {
    return { rows: this.rows, series: this.seen.size };
  }

  covered(): number {
    return this.sids.length ? this.coveredTo : Infinity;
  }
}
