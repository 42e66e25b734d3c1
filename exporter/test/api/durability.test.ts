import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startTestSidecar, makeWorkspace, tempDir, TOKENS } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';
import { SseClient } from '../helpers/sse';
import { type ChildSidecar, startChildSidecar } from '../helpers/child-sidecar';
import { fileEventProblems, readFeed } from '../helpers/events-api';

type Page = { items: { id: string; subject: string }[]; next_cursor: string | null };

describe('durability', () => {
  let side: ChildSidecar | null = null;
  afterEach(async () => {
    await side?.kill();
    side = null;
  });

  it('keeps events, lineage and a valid SSE cursor across a restart', async () => {
    const dataDir = tempDir('data');
    const workspace = makeWorkspace();
    fs.writeFileSync(
      path.join(workspace, 'lineage/lineage_index.json'),
      JSON.stringify({
        model: 'm',
        generations: [
          { id: 'g1', parent: null, status: 'active', created_at: '2026-11-01T00:00:00Z', kpis: {}, artifacts: [] },
        ],
      })
    );
    let t = await startTestSidecar({ dataDir, workspace });
    await waitFor(async () => ((await t.call('GET', '/api/v1/lineage')).body as { active: string }).active === 'g1');
    const before = t.sidecar.ctx.events.appendMany(
      Array.from({ length: 20 }, (_, i) => ({ source: 'api' as const, kind: 'test.before', subject: `b${i}` }))
    );
    const cursorId = before[9]!.id;
    await t.stop();

    t = await startTestSidecar({ dataDir, workspace });
    try {
      const feed = (await t.call('GET', '/api/v1/feeds/all?kind=test.before&limit=100')).body as Page;
      expect(feed.items.map((e) => e.subject).sort()).toEqual(before.map((e) => e.subject).sort());
      const lineage = (await t.call('GET', '/api/v1/lineage')).body as { active: string; model: string };
      expect(lineage).toMatchObject({ active: 'g1', model: 'm' });
      const after = t.sidecar.ctx.events.append({ source: 'api', kind: 'test.after', subject: 'a0' });
      const sse = await SseClient.open(`${t.url}/api/v1/stream`, {
        authorization: `Bearer ${TOKENS.viewer}`,
        'last-event-id': cursorId,
      });
      try {
        await waitFor(() => sse.json().some((e) => e['id'] === after.id));
        const subjects = sse.json().map((e) => e['subject']);
        // Everything after the cursor, in order, and nothing at or before it.
        expect(subjects.filter((s) => String(s).startsWith('b'))).toEqual(before.slice(10).map((e) => e.subject));
        expect(subjects).not.toContain('b9');
      } finally {
        await sse.close();
      }
    } finally {
      await t.stop();
    }
  });

  it('after SIGKILL mid-ingest and a restart, every file written is exactly one event and nothing acknowledged is lost', async () => {
    const dataDir = tempDir('data');
    const workspace = makeWorkspace();
    const cfg = {
      data_dir: dataDir,
      node: 'crash-node',
      heartbeat_interval_ms: 600_000,
      watch: { root: workspace, debounce_ms: 10, reconcile_interval_ms: 60_000 },
    };
    side = await startChildSidecar(cfg);
    const s = side;
    const viewer = (m: string, r: string): ReturnType<ChildSidecar['call']> => s.call(m, r, { as: 'viewer' });
    // A file counts as written once it is complete under its final name.
    const written: string[] = [];
    let writing = true;
    fs.mkdirSync(path.join(workspace, 'activity/tasks'), { recursive: true });
    const writer = (async () => {
      while (writing && written.length < 50_000) {
        const rel = `activity/tasks/t${written.length}.json`;
        const abs = path.join(workspace, rel);
        fs.writeFileSync(
          `${abs}.tmp`,
          JSON.stringify({ id: rel, type: 'process', status: 'done', result: written.length })
        );
        fs.renameSync(`${abs}.tmp`, abs);
        written.push(rel);
        if (written.length % 20 === 0) await new Promise((r) => setImmediate(r));
      }
    })();
    const acknowledged = new Set<string>();
    try {
      await waitFor(async () => {
        const r = await viewer('GET', '/api/v1/feeds/activity?limit=500');
        for (const e of (r.body as Page).items) acknowledged.add(e.id);
        return acknowledged.size >= 300;
      }, 60_000);
      await s.kill();
    } finally {
      writing = false;
      await writer;
    }

    const db = new Database(path.join(dataDir, 'lookout.sqlite'));
    try {
      const check = db.pragma('integrity_check') as { integrity_check: string }[];
      expect(check.map((r) => r.integrity_check)).toEqual(['ok']);
    } finally {
      db.close();
    }

    // Restarted on the same data: its scan ingests what the crash interrupted, and nothing twice.
    side = await startChildSidecar(cfg);
    const again = side;
    const read = (m: string, r: string): ReturnType<ChildSidecar['call']> => again.call(m, r, { as: 'viewer' });
    let problems: string[] = [];
    await waitFor(
      async () => {
        problems = fileEventProblems(await readFeed(read, 'activity'), written);
        return problems.length === 0;
      },
      60_000,
      200
    ).catch(() => undefined);
    expect(problems).toEqual([]);
    const ids = new Set((await readFeed(read, 'all')).map((e) => e.id));
    expect([...acknowledged].filter((id) => !ids.has(id))).toEqual([]);
  }, 120_000);
});
