import fs from 'node:fs';
import path from 'node:path';
import { startTestSidecar, type TestSidecar, TOKENS } from '../helpers/sidecar';
import { SseClient } from '../helpers/sse';
import { waitFor } from '../helpers/wait';

interface Streamed {
  id: string;
  source: string;
  kind: string;
  subject: string;
}

const viewer = { authorization: `Bearer ${TOKENS.viewer}` };

function writeAtomic(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file + '.tmp', content);
  fs.renameSync(file + '.tmp', file);
}

const lineage = (n: number): string =>
  JSON.stringify({
    model: 'policy-x',
    generations: Array.from({ length: n }, (_, i) => ({
      id: `g${i + 1}`,
      parent: i ? `g${i}` : null,
      status: i === n - 1 ? 'active' : 'retired',
      created_at: '2026-12-01T10:00:00Z',
      kpis: {},
      artifacts: [],
    })),
  });

describe('stream filters by kind and source', () => {
  let t: TestSidecar;
  const open: SseClient[] = [];
  const sse = async (query: string): Promise<SseClient> => {
    const c = await SseClient.open(`${t.url}/api/v1/stream?${query}`, viewer);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await startTestSidecar();
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await t.stop();
  });

  it('sends a kind-filtered client only the kinds it asked for, live and on resume', async () => {
    const lineageOnly = await sse('kind=lineage.*');
    const tasksCreated = await sse('source=agents&kind=task.created');
    const everything = await sse('');
    expect([lineageOnly.status, tasksCreated.status, everything.status]).toEqual([200, 200, 200]);

    writeAtomic(path.join(t.workspace, 'activity/notes/n1.json'), JSON.stringify({ note: 1 }));
    writeAtomic(path.join(t.workspace, 'lineage/lineage_index.json'), lineage(2));
    const created = await t.call('POST', '/api/v1/tasks', { as: 'operator', body: { title: 'filtered' } });
    expect(created.status).toBe(201);

    // Everything reached the unfiltered client; the filtered ones saw exactly their share of it.
    const all = await waitFor(() => {
      const got = everything.json<Streamed>();
      const kinds = new Set(got.map((e) => e.kind));
      return kinds.has('activity.other') && kinds.has('lineage.updated') && kinds.has('task.created') ? got : null;
    });
    const lastId = all[all.length - 1]!.id;
    await waitFor(() => lineageOnly.json<Streamed>().some((e) => e.kind === 'lineage.updated'));
    await waitFor(() => tasksCreated.json<Streamed>().some((e) => e.kind === 'task.created'));
    // Whatever the unfiltered client got up to lastId, the filtered clients got their share of, in order.
    const upTo = (c: SseClient): Streamed[] => c.json<Streamed>().filter((e) => e.id <= lastId);
    expect(upTo(lineageOnly).map((e) => e.id)).toEqual(
      all.filter((e) => e.kind.startsWith('lineage.')).map((e) => e.id)
    );
    expect(upTo(tasksCreated).map((e) => e.id)).toEqual(
      all.filter((e) => e.source === 'agents' && e.kind === 'task.created').map((e) => e.id)
    );

    // Resuming from before those events replays the same filtered share from the store.
    const first = all[0]!;
    const resumed = await SseClient.open(`${t.url}/api/v1/stream?kind=lineage.*`, {
      ...viewer,
      'last-event-id': first.id,
    });
    open.push(resumed);
    const expected = all.filter((e) => e.id > first.id && e.kind.startsWith('lineage.')).map((e) => e.id);
    const replayed = await waitFor(() => {
      const ids = resumed.json<Streamed>().map((e) => e.id);
      return ids.length >= expected.length ? ids.slice(0, expected.length) : null;
    });
    expect(replayed).toEqual(expected);
  });

  it.each([
    ['kind=lineage updated', 'query.kind'],
    ['kind=lineage.*.x', 'query.kind'],
    [`kind=${'a'.repeat(101)}`, 'query.kind'],
    [`kind=${Array.from({ length: 21 }, (_, i) => `k${i}`).join(',')}`, 'query.kind'],
    ['source=nobody', 'query.source'],
    ['feeds=guardian&source=agents', 'query.source'],
  ])('refuses %s with a 400 naming %s', async (query, field) => {
    const r = await t.call('GET', `/api/v1/stream?${query}`, { as: 'viewer' });
    expect(r.status).toBe(400);
    const err = (r.body as { error: { code: string; message: string; details?: { path: string }[] } }).error;
    expect(err.code).toBe('invalid_request');
    expect(JSON.stringify(err)).toContain(field);
  });
});
