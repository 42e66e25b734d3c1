import { startTestSidecar, type TestSidecar } from '../helpers/sidecar';
import { DiagnosticsRepository, type NewDiagnostic } from '../../src/diagnostics';

/**
 * 10,000 diagnostics seeded through the repository (one transaction) plus some through the API;
 * every filter, the search, every sort and the paging are checked against a list computed here,
 * independently of the SQL, with exact equality of the ids in order.
 */

interface Row {
  id: string;
  title: string;
  description: string;
  severity: 'info' | 'warning' | 'critical';
  status: 'open' | 'in_progress' | 'resolved' | 'closed';
  assignee: string | null;
  due_at: string | null;
  tags: string[];
  component: string | null;
  created_at: string;
  updated_at: string;
}

const SEVERITIES = ['info', 'warning', 'critical'] as const;
const STATUSES = ['open', 'in_progress', 'resolved', 'closed'] as const;
const ASSIGNEES = ['alice', 'bob', 'carol', 'dave', null] as const;
const TAGS = ['db', 'latency', 'drift', 'venue', 'agents', 'disk'] as const;
const COMPONENTS = ['order-router', 'policy', 'feature-store', null] as const;
const WORDS = ['Disk', 'full', 'latency', 'spike', 'drift', 'canary', 'timeout', 'heartbeat', 'FULL', 'replica', 'lag'];

/** mulberry32: a small seeded PRNG so the data set is the same on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NOW = Date.now();
const SEV_RANK = { info: 0, warning: 1, critical: 2 } as const;
const isActive = (r: Row): boolean => r.status === 'open' || r.status === 'in_progress';
const isOverdue = (r: Row): boolean => isActive(r) && r.due_at !== null && Date.parse(r.due_at) < NOW;
const num = (id: string): number => Number(id.slice(2));

function sortKey(r: Row, sort: string, order: 'asc' | 'desc'): string | number {
  if (sort === 'severity') return SEV_RANK[r.severity];
  if (sort === 'due_at') return r.due_at ?? (order === 'asc' ? '~' : '');
  return sort === 'updated_at' ? r.updated_at : r.created_at;
}

function expected(rows: readonly Row[], filter: (r: Row) => boolean, sort: string, order: 'asc' | 'desc'): string[] {
  const dir = order === 'asc' ? 1 : -1;
  return rows
    .filter(filter)
    .sort((a, b) => {
      const ka = sortKey(a, sort, order);
      const kb = sortKey(b, sort, order);
      if (ka !== kb) return (ka < kb ? -1 : 1) * dir;
      return (num(a.id) - num(b.id)) * dir;
    })
    .map((r) => r.id);
}

const textHas = (r: Row, words: string[]): boolean =>
  words.every(
    (w) => r.title.toLowerCase().includes(w.toLowerCase()) || r.description.toLowerCase().includes(w.toLowerCase())
  );

describe('diagnostics list over 10,000 diagnostics', () => {
  let t: TestSidecar;
  const all: Row[] = [];

  beforeAll(async () => {
    t = await startTestSidecar();
    const repo = new DiagnosticsRepository(t.sidecar.ctx.db);
    const rnd = prng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const base = Date.parse('2026-01-01T00:00:00Z');
    const seeded: NewDiagnostic[] = [];
    for (let i = 0; i < 10_000; i++) {
      // Whole hours: many diagnostics share a created_at, so ties must be broken by id.
      const created = new Date(base + Math.floor(rnd() * 2000) * 3600_000).toISOString();
      const updated = new Date(Date.parse(created) + Math.floor(rnd() * 100) * 60_000).toISOString();
      const dueRoll = rnd();
      const due =
        dueRoll < 0.3
          ? null
          : dueRoll < 0.6
            ? new Date(Date.parse('2024-01-01T00:00:00Z') + Math.floor(rnd() * 500) * 86400_000).toISOString()
            : new Date(Date.parse('2035-01-01T00:00:00Z') + Math.floor(rnd() * 500) * 86400_000).toISOString();
      const tags = TAGS.filter(() => rnd() < 0.3);
      const title =
        `${pick(WORDS)} ${pick(WORDS)} ${i % 97 === 0 ? '100% cpu' : i % 89 === 0 ? '100x cpu' : ''} #${i}`.trim();
      const description = rnd() < 0.5 ? `${pick(WORDS)} seen on ${pick(['node-a', 'node_b', 'node-c'])}` : '';
      seeded.push({
        title,
        description,
        severity: pick(SEVERITIES),
        status: pick(STATUSES),
        assignee: pick(ASSIGNEES),
        due_at: due,
        tags: [...tags].sort(),
        component: pick(COMPONENTS),
        roadmap_url: null,
        origin: 'api',
        rule: null,
        node: null,
        created_by: 'seed',
        created_at: created,
        updated_at: updated,
        resolved_at: null,
        closed_at: null,
        due_soon_notified_at: null,
        overdue_notified_at: null,
      });
    }
    const ids = t.sidecar.ctx.db.transaction(() => seeded.map((d) => repo.insert(d)))();
    seeded.forEach((d, i) => all.push({ ...d, id: `D-${ids[i]}` }));

    // And some the way a user makes them.
    for (let i = 0; i < 20; i++) {
      const r = await t.call('POST', '/api/v1/diagnostics', {
        as: 'operator',
        body: {
          title: `Disk full on replica ${i}`,
          description: i % 2 ? 'replica lag grows' : '',
          severity: SEVERITIES[i % 3],
          assignee: i % 4 === 0 ? null : 'alice',
          tags: i % 2 ? ['db', 'disk'] : ['latency'],
          component: i % 3 === 0 ? 'feature-store' : null,
          due_at: i % 5 === 0 ? '2024-06-01T00:00:00Z' : null,
        },
      });
      expect(r.status).toBe(201);
      all.push(r.body as Row);
    }
    expect(all).toHaveLength(10_020);
  });
  afterAll(async () => {
    await t.stop();
  });

  /** Follows next_cursor to the end; returns every id in order and how many pages it took. */
  async function pageAll(query: string, limit: number): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q = `${query}${query ? '&' : ''}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
      const r = await t.call('GET', `/api/v1/diagnostics?${q}`, { as: 'viewer' });
      expect(r.status).toBe(200);
      const body = r.body as { items: Row[]; next_cursor: string | null };
      expect(body.items.length).toBeLessThanOrEqual(limit);
      ids.push(...body.items.map((i) => i.id));
      cursor = body.next_cursor;
      pages++;
    } while (cursor);
    return { ids, pages };
  }

  it('pages through every diagnostic newest first without skipping or repeating one', async () => {
    const { ids, pages } = await pageAll('', 500);
    expect(ids).toEqual(expected(all, () => true, 'created_at', 'desc'));
    expect(new Set(ids).size).toBe(10_020);
    expect(pages).toBe(Math.ceil(10_020 / 500));
  });

  it('filters by status and severity, sorted by due date with undated ones last', async () => {
    const { ids } = await pageAll('status=open,in_progress&severity=critical&sort=due_at&order=asc', 137);
    const want = expected(all, (r) => isActive(r) && r.severity === 'critical', 'due_at', 'asc');
    expect(want.length).toBeGreaterThan(500);
    expect(ids).toEqual(want);
    const desc = await pageAll('status=open,in_progress&severity=critical&sort=due_at&order=desc', 137);
    expect(desc.ids).toEqual(expected(all, (r) => isActive(r) && r.severity === 'critical', 'due_at', 'desc'));
  });

  it('filters by any of the assignees and every listed tag, sorted by severity', async () => {
    const { ids } = await pageAll('assignee=alice,bob&tag=db,latency&sort=severity&order=desc', 100);
    const want = expected(
      all,
      (r) => (r.assignee === 'alice' || r.assignee === 'bob') && r.tags.includes('db') && r.tags.includes('latency'),
      'severity',
      'desc'
    );
    expect(want.length).toBeGreaterThan(100);
    expect(ids).toEqual(want);
  });

  it('finds every diagnostic whose title or description holds every searched word, in any case', async () => {
    const { ids } = await pageAll(`q=${encodeURIComponent('disk FULL')}&sort=updated_at&order=asc`, 250);
    const want = expected(all, (r) => textHas(r, ['disk', 'full']), 'updated_at', 'asc');
    expect(want.length).toBeGreaterThan(250);
    expect(ids).toEqual(want);
    // The API-created ones are found too.
    expect(ids.filter((id) => num(id) > 10_000)).toHaveLength(20);
  });

  it('treats % and _ in the search as literal characters', async () => {
    const pct = await pageAll(`q=${encodeURIComponent('100%')}`, 500);
    expect(pct.ids).toEqual(expected(all, (r) => textHas(r, ['100%']), 'created_at', 'desc'));
    expect(pct.ids.length).toBeGreaterThan(0);
    const under = await pageAll(`q=${encodeURIComponent('node_b')}`, 500);
    expect(under.ids).toEqual(expected(all, (r) => textHas(r, ['node_b']), 'created_at', 'desc'));
    expect(under.ids.length).toBeLessThan(expected(all, (r) => textHas(r, ['node']), 'created_at', 'desc').length);
  });

  it('combines unassigned, component and overdue filters', async () => {
    const { ids } = await pageAll('unassigned=true&component=feature-store&overdue=true&sort=created_at&order=asc', 60);
    const want = expected(
      all,
      (r) => r.assignee === null && r.component === 'feature-store' && isOverdue(r),
      'created_at',
      'asc'
    );
    expect(want.length).toBeGreaterThan(60);
    expect(ids).toEqual(want);
    const notOverdue = await pageAll('overdue=false&severity=info&sort=updated_at&order=desc', 500);
    expect(notOverdue.ids).toEqual(expected(all, (r) => !isOverdue(r) && r.severity === 'info', 'updated_at', 'desc'));
  });

  it('answers an empty page with no cursor when nothing matches', async () => {
    const r = await t.call('GET', '/api/v1/diagnostics?q=no-such-word-anywhere', { as: 'viewer' });
    expect(r.body).toEqual({ items: [], next_cursor: null });
  });

  it('refuses a cursor from another sort order', async () => {
    const first = await t.call('GET', '/api/v1/diagnostics?sort=severity&limit=5', { as: 'viewer' });
    const cursor = (first.body as { next_cursor: string }).next_cursor;
    const r = await t.call('GET', `/api/v1/diagnostics?sort=due_at&limit=5&cursor=${cursor}`, { as: 'viewer' });
    expect(r.status).toBe(400);
    expect((r.body as { error: { details: { path: string }[] } }).error.details[0]!.path).toBe('query.cursor');
  });
});
