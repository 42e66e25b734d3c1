import type { LookoutEvent } from '../../src/events/event';

type Call = (method: string, route: string) => Promise<{ status: number; body: unknown }>;

/**
 * Every event of a feed as the API serves it, oldest first: pages through `/api/v1/feeds/:feed`
 * with its cursor until the last page. What a user sees is what the tests count.
 */
export async function readFeed(call: Call, feed = 'all', filter = ''): Promise<LookoutEvent[]> {
  const out: LookoutEvent[] = [];
  let cursor: string | null = null;
  for (;;) {
    const q = `limit=500${filter ? `&${filter}` : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const r = await call('GET', `/api/v1/feeds/${feed}?${q}`);
    if (r.status !== 200) throw new Error(`GET feeds/${feed}: ${r.status} ${JSON.stringify(r.body)}`);
    const page = r.body as { items: LookoutEvent[]; next_cursor: string | null };
    out.push(...page.items);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return out.reverse();
}

/**
 * Checks that every path written is exactly one event whose `data.file_path` names it, and that no
 * event names a path that was not written. Returns what is wrong (empty when all is well).
 */
export function fileEventProblems(events: readonly LookoutEvent[], written: readonly string[]): string[] {
  const byPath = new Map<string, number>();
  for (const e of events) {
    const p = e.data['file_path'];
    if (typeof p === 'string') byPath.set(p, (byPath.get(p) ?? 0) + 1);
  }
  const problems: string[] = [];
  const wanted = new Set(written);
  for (const p of written) {
    const n = byPath.get(p) ?? 0;
    if (n !== 1) problems.push(`${p}: ${n} events`);
  }
  for (const p of byPath.keys()) if (!wanted.has(p)) problems.push(`${p}: an event for a path never written`);
  return problems;
}
