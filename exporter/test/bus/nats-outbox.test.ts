import { type NatsConnection, connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsServer, startNatsServer } from '../helpers/nats-server';
import { type TestSidecar, startTestSidecar } from '../helpers/sidecar';
import { deleteAllStreams, readStream } from '../helpers/jetstream';
import { waitFor } from '../helpers/wait';
import { eventSubject } from '../../src/bus';

describe('the JetStream outbox', () => {
  let nats: NatsServer;
  let t: TestSidecar | null = null;
  const opened: NatsConnection[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterEach(async () => {
    await t?.stop();
    t = null;
    for (const nc of opened.splice(0)) if (!nc.isClosed()) await nc.close();
    await deleteAllStreams(nats.url);
  });
  afterAll(async () => {
    await nats.dispose();
  });

  it('publishes every event to LOOKOUT_EVENTS exactly once, in order, with the event id as Nats-Msg-Id', async () => {
    t = await startTestSidecar({ overrides: { nats: { url: nats.url }, heartbeat_interval_ms: 600_000 } });
    const { ctx } = t.sidecar;
    for (let i = 0; i < 500; i++) {
      ctx.events.append({ source: 'api', kind: i % 2 ? 'test.odd' : 'test.even', subject: `n${i}`, data: { i } });
    }
    await waitFor(
      () =>
        ctx.events.repo.lastSeq() > 0 &&
        (t!.sidecar.ctx.status.snapshot()['bus'] as { outbox: { pending: number } }).outbox.pending === 0,
      20_000
    );
    const stored = ctx.events.repo.query({ after: 0, limit: 10_000 });
    const msgs = await readStream(nats.url, 'LOOKOUT_EVENTS', stored.length);
    expect(msgs.map((m) => m.data['id'])).toEqual(stored.map((e) => e.id));
    expect(msgs.map((m) => m.msgId)).toEqual(stored.map((e) => e.id));
    expect(msgs.map((m) => m.subject)).toEqual(stored.map((e) => eventSubject(e)));
    expect(msgs.find((m) => m.data['subject'] === 'n1')?.subject).toBe('lookout.evt.test-node.api.test.odd');
    expect(new Set(msgs.map((m) => m.data['id'])).size).toBe(msgs.length);
  });

  it('does not publish an event twice when the sidecar restarts on the same data folder', async () => {
    t = await startTestSidecar({
      overrides: { nats: { url: nats.url, stream: 'RESTART_TEST' }, heartbeat_interval_ms: 600_000 },
    });
    const dataDir = t.dataDir;
    const workspace = t.workspace;
    for (let i = 0; i < 50; i++) t.sidecar.ctx.events.append({ source: 'api', kind: 'before.restart', data: { i } });
    await waitFor(
      () => (t!.sidecar.ctx.status.snapshot()['bus'] as { outbox: { pending: number } }).outbox.pending === 0,
      20_000
    );
    await t.stop();
    t = await startTestSidecar({
      dataDir,
      workspace,
      overrides: { nats: { url: nats.url, stream: 'RESTART_TEST' }, heartbeat_interval_ms: 600_000 },
    });
    for (let i = 0; i < 50; i++) t.sidecar.ctx.events.append({ source: 'api', kind: 'after.restart', data: { i } });
    await waitFor(
      () => (t!.sidecar.ctx.status.snapshot()['bus'] as { outbox: { pending: number } }).outbox.pending === 0,
      20_000
    );
    const stored = t.sidecar.ctx.events.repo.query({ after: 0, limit: 10_000 });
    const msgs = await readStream(nats.url, 'RESTART_TEST', stored.length);
    expect(msgs.map((m) => m.data['id'])).toEqual(stored.map((e) => e.id));
  });

  it('adds lookout.evt.> to an existing stream instead of failing', async () => {
    const nc = await connect({ servers: nats.url });
    opened.push(nc);
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'PREEXISTING', subjects: ['other.>'] });
    t = await startTestSidecar({
      overrides: { nats: { url: nats.url, stream: 'PREEXISTING' }, heartbeat_interval_ms: 600_000 },
    });
    t.sidecar.ctx.events.append({ source: 'api', kind: 'probe' });
    const info = await waitFor(async () => {
      const i = await jsm.streams.info('PREEXISTING');
      return i.state.messages > 0 ? i : null;
    });
    expect(info.config.subjects).toEqual(expect.arrayContaining(['other.>', 'lookout.evt.>']));
    await nc.close();
  });

  it('publishes activity classes on their mapped classic subjects too', async () => {
    const nc = await connect({ servers: nats.url });
    opened.push(nc);
    const got: { subject: string; data: Record<string, unknown> }[] = [];
    const sub = nc.subscribe('sparc.>', {
      callback: (_e, m) => {
        got.push({ subject: m.subject, data: m.json() });
      },
    });
    await nc.flush();
    t = await startTestSidecar({
      overrides: {
        nats: {
          url: nats.url,
          stream: 'MAPPED',
          subject_map: [{ kind: 'custom.thing', subject: 'sparc.custom.{node}', payload: 'envelope' }],
        },
        heartbeat_interval_ms: 600_000,
        watch: { activity_rules: [{ glob: 'activity/tasks/**', class: 'tasks', subject: 'sparc.tasks' }] },
      },
    });
    const fs = await import('node:fs');
    const path = await import('node:path');
    fs.mkdirSync(path.join(t.workspace, 'activity', 'tasks'), { recursive: true });
    fs.writeFileSync(
      path.join(t.workspace, 'activity', 'tasks', 't1.json'),
      JSON.stringify({ id: 't1', type: 'analyze', status: 'done', result: 'ok', trace_id: 'abc123' })
    );
    const mapped = t.sidecar.ctx.events.append({ source: 'api', kind: 'custom.thing', data: { x: 1 } });
    await waitFor(() => got.length >= 2, 20_000);
    const task = got.find((g) => g.subject === 'sparc.tasks')!;
    expect(task.data).toMatchObject({
      id: 't1',
      type: 'analyze',
      status: 'done',
      result: 'ok',
      trace_id: 'abc123',
      file_path: 'activity/tasks/t1.json',
    });
    expect(typeof task.data['timestamp']).toBe('string');
    expect(task.data['class']).toBeUndefined();
    const custom = got.find((g) => g.subject === 'sparc.custom.test-node')!;
    expect(custom.data['id']).toBe(mapped.id);
    sub.unsubscribe();
    await nc.close();
  });
});
