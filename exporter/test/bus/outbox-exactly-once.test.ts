import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type NatsServer, startNatsServer } from '../helpers/nats-server';
import { deleteAllStreams, readWholeStream, streamProblems } from '../helpers/jetstream';
import { type TestSidecar, makeWorkspace, startTestSidecar, tempDir } from '../helpers/sidecar';
import { type ChildSidecar, startChildSidecar } from '../helpers/child-sidecar';
import { fileEventProblems, readFeed } from '../helpers/events-api';
import { waitFor } from '../helpers/wait';

/** A one-second duplicate window, so "longer than the window" takes a second, not two minutes. */
const DUPLICATE_WINDOW_S = 1;
const NATS_FAST = {
  duplicate_window_s: DUPLICATE_WINDOW_S,
  reconnect_wait_ms: 50,
  reconnect_max_wait_ms: 200,
  reconnect_jitter_ms: 20,
  publish_timeout_ms: 1000,
};

/**
 * Resolves once JetStream's duplicate window no longer covers a message stored now: a probe msg id
 * published into a scratch stream with the same window is stored again (not a duplicate). Everything
 * stored before the call is then outside the window too.
 */
async function duplicateWindowPassed(url: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: 'WINDOW_PROBE',
      subjects: ['window.probe'],
      duplicate_window: DUPLICATE_WINDOW_S * 1e9,
    });
    const js = jetstream(nc);
    await js.publish('window.probe', 'x', { msgID: 'probe' });
    await waitFor(async () => !(await js.publish('window.probe', 'x', { msgID: 'probe' })).duplicate, 30_000, 100);
    await jsm.streams.delete('WINDOW_PROBE');
  } finally {
    await nc.close();
  }
}

describe('exactly-once publication across crashes and long outages', () => {
  let nats: NatsServer;
  let t: TestSidecar | null = null;
  let side: ChildSidecar | null = null;
  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterEach(async () => {
    await t?.stop();
    t = null;
    await side?.kill();
    side = null;
    if (!nats.running()) await nats.start();
    await deleteAllStreams(nats.url);
  });
  afterAll(async () => {
    await nats.dispose();
  });

  it('a resend after the duplicate window stores nothing twice: the outbox reads the stream first', async () => {
    const overrides = {
      node: 'once-node',
      heartbeat_interval_ms: 600_000,
      nats: { url: nats.url, stream: 'ONCE', ...NATS_FAST },
    };
    t = await startTestSidecar({ overrides });
    const { dataDir, workspace } = t;
    for (let i = 0; i < 3; i++) {
      t.sidecar.ctx.events.appendMany(
        Array.from({ length: 100 }, (_, k) => ({ source: 'api' as const, kind: 'once', data: { n: i * 100 + k } }))
      );
    }
    await waitFor(
      () => (t!.sidecar.ctx.status.snapshot()['bus'] as { outbox: { pending: number } }).outbox.pending === 0,
      20_000
    );
    const stored = t.sidecar.ctx.events.repo.query({ after: 0, limit: 10_000 });
    const before = await readWholeStream(nats.url, 'ONCE');
    expect(
      streamProblems(
        before,
        stored.map((e) => e.id),
        'once-node'
      )
    ).toEqual([]);
    await t.stop();
    t = null;

    // What a crash right after JetStream acknowledged the 100th event leaves behind: JetStream has
    // every event, the cursor only the first 100 (it is written after the acknowledgement).
    const cut = stored[99]!;
    const cutSeq = before.find((m) => m.data['id'] === cut.id)!.seq;
    const db = new Database(path.join(dataDir, 'lookout.sqlite'));
    db.prepare('UPDATE bus_outbox SET last_seq = ?, last_id = ?, last_stream_seq = ? WHERE stream = ?').run(
      cut.seq,
      cut.id,
      cutSeq,
      'ONCE'
    );
    db.close();
    // The restart comes after the duplicate window: Nats-Msg-Id no longer protects the resend.
    await duplicateWindowPassed(nats.url);

    t = await startTestSidecar({ dataDir, workspace, overrides });
    const c = t.sidecar.ctx;
    await waitFor(() => (c.status.snapshot()['bus'] as { outbox: { pending: number } }).outbox.pending === 0, 20_000);
    const all = c.events.repo.query({ after: 0, limit: 10_000 }).map((e) => e.id);
    expect(streamProblems(await readWholeStream(nats.url, 'ONCE'), all, 'once-node')).toEqual([]);
  });

  it('kill -9 during a NATS outage, restart, NATS back after the duplicate window: every event once, in order', async () => {
    const workspace = makeWorkspace();
    const cfg = {
      data_dir: tempDir('data'),
      node: 'crash-node',
      heartbeat_interval_ms: 600_000,
      watch: { root: workspace, debounce_ms: 10, reconcile_interval_ms: 60_000 },
      nats: { url: nats.url, stream: 'CRASH', ...NATS_FAST },
    };
    const written: string[] = [];
    fs.mkdirSync(path.join(workspace, 'activity/tasks'), { recursive: true });
    const write = (n: number): void => {
      for (let i = 0; i < n; i++) {
        const rel = `activity/tasks/t${written.length}.json`;
        const abs = path.join(workspace, rel);
        fs.writeFileSync(`${abs}.tmp`, JSON.stringify({ id: rel, type: 'process', status: 'done' }));
        fs.renameSync(`${abs}.tmp`, abs);
        written.push(rel);
      }
    };
    const streamCount = async (): Promise<number> => {
      const nc = await connect({ servers: nats.url });
      try {
        return (await (await jetstreamManager(nc)).streams.info('CRASH')).state.messages;
      } catch {
        return 0;
      } finally {
        await nc.close();
      }
    };

    side = await startChildSidecar(cfg);
    // A steady workload: files keep arriving while NATS dies under the publishes.
    let writing = true;
    let crashedAt = 0;
    const writer = (async () => {
      while (writing) {
        write(20);
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      await waitFor(async () => (await streamCount()) >= 500, 30_000, 50);
      crashedAt = Date.now();
      await nats.crash();
      const down = written.length;
      await waitFor(() => written.length >= down + 300);
      await side.kill();
    } finally {
      writing = false;
      await writer;
    }
    write(100);
    side = await startChildSidecar(cfg);
    write(100);
    // The outage outlasts the duplicate window: what the stream stored before the crash is outside it.
    await waitFor(() => Date.now() - crashedAt > 2000 * DUPLICATE_WINDOW_S);
    await nats.start();

    const s = side;
    const viewer = (m: string, r: string): ReturnType<ChildSidecar['call']> => s.call(m, r, { as: 'viewer' });
    await waitFor(async () => fileEventProblems(await readFeed(viewer, 'activity'), written).length === 0, 60_000, 200);
    await waitFor(
      async () =>
        ((await viewer('GET', '/api/v1/status')).body as { bus: { outbox: { pending: number } } }).bus.outbox
          .pending === 0,
      60_000,
      100
    );
    const stored = (await readFeed(viewer, 'all')).map((e) => e.id);
    expect(streamProblems(await readWholeStream(nats.url, 'CRASH'), stored, 'crash-node')).toEqual([]);
  }, 120_000);
});
