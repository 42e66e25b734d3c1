import { encodeCursor } from './schemas';

/** One page of a list route, as `pageOf(item)` documents it. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/**
 * Cuts a page from rows fetched with `limit + 1`: the extra row only tells that there is more, and
 * the cursor then points after the last row served (`cursorOf` gets the row and its index).
 */
export function pageRows<R, V>(
  rows: readonly R[],
  limit: number,
  view: (row: R) => V,
  cursorOf: (row: R, index: number) => string
): Page<V> {
  const page = rows.slice(0, limit);
  const last = page.length - 1;
  return {
    items: page.map((row) => view(row)),
    next_cursor: rows.length > limit && last >= 0 ? cursorOf(page[last]!, last) : null,
  };
}

/** `pageRows` with the opaque cursor of a numeric key (the row's `seq`, `rowid` or `id`). */
export function pageByKey<R, V>(
  rows: readonly R[],
  limit: number,
  keyOf: (row: R) => number,
  view: (row: R) => V
): Page<V> {
  return pageRows(rows, limit, view, (row) => encodeCursor(keyOf(row)));
}

/** `pageByKey` on the `seq` column, the key of the event, action, decision, incident and audit lists. */
export function pageBySeq<R extends { seq: number }, V>(
  rows: readonly R[],
  limit: number,
  view: (row: R) => V
): Page<V> {
  return pageByKey(rows, limit, (row) => row.seq, view);
}
