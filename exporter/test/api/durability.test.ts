import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { startTestSidecar, makeWorkspace, tempDir, TOKENS } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';
import { SseClient } from '../helpers/sse';

const CLI = path.resolve(__dirname, '../../dist/cli.js');

type Page = { items: { id: string; subject: string }[]; next_cursor: string | null };

describe('durability', () => {
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

  it('loses nothing the API returned when the sidecar is killed with SIGKILL mid-ingest', async () => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build -w exporter" first`);
    const dataDir = tempDir('data');
    const workspace = makeWorkspace();
    const child: ChildProcess = spawn(process.execPath, [CLI], {
      env: {
        ...process.env,
        LOOKOUT_PORT: '0',
        LOOKOUT_HOST: '127.0.0.1',
        LOOKOUT_DATA_DIR: dataDir,
        LOOKOUT_WATCH_ROOT: workspace,
        LOOKOUT_TOKENS: `viewer:viewer:${TOKENS.viewer}`,
        LOOKOUT_NODE: 'crash-node',
        LOOKOUT_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let writing = true;
    try {
      const url = await waitFor(
        () => /"msg":"sidecar listening"/.test(out) && /"url":"(http:[^"]+)"/.exec(out)?.[1],
        20_000
      );
      let n = 0;
      fs.mkdirSync(path.join(workspace, 'activity/tasks'), { recursive: true });
      const writer = (async () => {
        while (writing && n < 50_000) {
          const f = path.join(workspace, 'activity/tasks', `t${n}.json`);
          fs.writeFileSync(f + '.tmp', JSON.stringify({ id: `t${n}`, type: 'process', status: 'done', result: n }));
          fs.renameSync(f + '.tmp', f);
          n++;
          if (n % 20 === 0) await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const acknowledged = new Set<string>();
      await waitFor(async () => {
        const r = await fetch(`${url}/api/v1/feeds/activity?limit=500`, {
          headers: { authorization: `Bearer ${TOKENS.viewer}` },
        });
        for (const e of ((await r.json()) as Page).items) acknowledged.add(e.id);
        return acknowledged.size >= 300;
      }, 60_000);
      child.kill('SIGKILL');
      await exited;
      writing = false;
      await writer;

      const db = new Database(path.join(dataDir, 'lookout.sqlite'));
      try {
        const check = db.pragma('integrity_check') as { integrity_check: string }[];
        expect(check.map((r) => r.integrity_check)).toEqual(['ok']);
        const has = db.prepare('SELECT 1 FROM events WHERE id = ?').pluck();
        const missing = [...acknowledged].filter((id) => !has.get(id));
        expect(missing).toEqual([]);
      } finally {
        db.close();
      }
      // And the sidecar starts again on the same data (its own integrity check passes).
      const t = await startTestSidecar({ dataDir, workspace });
      try {
        const r = await t.call('GET', '/api/v1/feeds/activity?limit=10', { as: 'viewer' });
        expect(r.status).toBe(200);
      } finally {
        await t.stop();
      }
    } finally {
      writing = false;
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
