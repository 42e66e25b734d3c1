import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import { buildContext } from '../../src/main';
import { createLogger } from '../../src/log/logger';
import { RetentionPart } from '../../src/store/retention';
import { BusPart } from '../../src/bus';
import { StoreUnavailableError } from '../../src/store/store-health';
import type { SidecarContext } from '../../src/context';
import { type NatsServer, startNatsServer } from '../helpers/nats-server';
import { deleteAllStreams, readWholeStream } from '../helpers/jetstream';
import { type TestSidecar, makeWorkspace, startTestSidecar, tempDir } from '../helpers/sidecar';
import { fileEventProblems, readFeed } from '../helpers/events-api';
import { sampleValue } from '../helpers/child-sidecar';
import { waitFor } from '../helpers/wait';

const NATS_FAST = {
  reconnect_wait_ms: 50,
  reconnect_max_wait_ms: 200,
  reconnect_jitter_ms: 20,
  publish_timeout_ms: 1000,
};

describe('retention with NATS configured', () => {
  let nats: NatsServer;
  let ctx: SidecarContext | null = null;
  let bus: BusPart | null = null;
  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterEach(async () => {
    await bus?.stop();
    bus = null;
    if (ctx?.db.open) ctx.db.close();
    ctx = null;
    if (!nats.running()) await nats.start();
    await deleteAllStreams(nats.url);
  });
  afterAll(async () => {
    await nats.dispose();
  });

  /** A store with the bus part (NATS configured, connected) and retention wired to its outbox, as main.ts does. */
  const withOutbox = async (
    store: Record<string, number>
  ): Promise<{ c: SidecarContext; outbox: NonNullable<BusPart['outbox']>; retention: RetentionPart }> => {
    const config = loadConfig({
      env: {},
      overrides: {
        data_dir: tempDir('data'),
        node: 'retention-node',
        watch: { root: makeWorkspace() },
        store,
        nats: { url: nats.url, ...NATS_FAST },
      },
    });
    const c = buildContext(config, { logger: createLogger('silent') });
    ctx = c;
    bus = new BusPart(c);
    const outbox = bus.outbox!;
    bus.start();
    await waitFor(() => c.bus.isConnected());
    return { c, outbox, retention: new RetentionPart(c, { publishedUpTo: () => outbox.cursorSeq() }) };
  };

  it('never deletes an event NATS has not acknowledged: an outage longer than retention delays deletion', async () => {
    const { c, outbox, retention } = await withOutbox({ retention_max_age_days: 1, retention_max_events: 1_000_000 });
    const old = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const expired = (kind: string, n: number): string[] =>
      c.events
        .appendMany(Array.from({ length: n }, (_, i) => ({ source: 'api' as const, kind, ts: old, data: { i } })))
        .map((e) => e.id);

    const published = expired('published.before.outage', 50);
    await waitFor(() => outbox.pending() === 0, 20_000);
    await nats.crash();
    const unpublished = expired('during.outage', 100);

    // Three days old, retention keeps one: only what the stream has is deleted.
    expect(retention.runOnce()).toBe(50);
    const left = c.events.query({ after: 0, limit: 1000 }).map((e) => e.id);
    expect(left).toEqual(unpublished);

    await nats.start();
    await waitFor(() => outbox.pending() === 0, 30_000);
    expect(retention.runOnce()).toBe(100);
    expect(c.events.repo.count()).toBe(0);
    const onStream = (await readWholeStream(nats.url, c.config.nats.stream)).map((m) => String(m.data['id']));
    expect(onStream).toEqual([...published, ...unpublished]);
  });

  it('keeps at most the configured count only among published events', async () => {
    const { c, outbox, retention } = await withOutbox({ retention_max_events: 10 });
    c.events.appendMany(Array.from({ length: 30 }, () => ({ source: 'api' as const, kind: 'published' })));
    await waitFor(() => outbox.pending() === 0, 20_000);
    await nats.crash();
    const waiting = c.events.appendMany(
      Array.from({ length: 40 }, () => ({ source: 'api' as const, kind: 'waiting' }))
    );
    // Count retention wants 10 events; the 40 waiting for NATS all stay, the 30 published go.
    expect(retention.runOnce()).toBe(30);
    expect(c.events.query({ after: 0, limit: 1000 }).map((e) => e.id)).toEqual(waiting.map((e) => e.id));
  });
});

describe('the store size limit (store.max_size_bytes)', () => {
  const LIMIT = 3 * 1024 * 1024;

  it('without NATS: deletes the oldest events to stay under the limit, and keeps ingesting', async () => {
    const config = loadConfig({
      env: {},
      overrides: {
        data_dir: tempDir('data'),
        node: 'limit-node',
        watch: { root: makeWorkspace() },
        store: { max_size_bytes: LIMIT },
      },
    });
    const ctx = buildContext(config, { logger: createLogger('silent') });
    try {
      new RetentionPart(ctx);
      const pad = 'x'.repeat(2000);
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) {
        ids.push(
          ...ctx.events
            .appendMany(
              Array.from({ length: 100 }, () => ({ source: 'watcher' as const, kind: 'fill', data: { pad } }))
            )
            .map((e) => e.id)
        );
        ctx.storeHealth.check();
      }
      expect(ctx.storeHealth.usedBytes()).toBeLessThanOrEqual(LIMIT);
      expect(ctx.storeHealth.pausedBy()).toBeNull();
      const left = ctx.events.query({ after: 0, limit: 10_000 }).map((e) => e.id);
      // The newest are kept, the oldest went: a contiguous tail of what was written.
      expect(left.length).toBeGreaterThan(0);
      expect(left.length).toBeLessThan(ids.length);
      expect(left).toEqual(ids.slice(ids.length - left.length));
    } finally {
      ctx.db.close();
    }
  });

  describe('with NATS down', () => {
    let nats: NatsServer;
    let t: TestSidecar | null = null;
    beforeAll(async () => {
      nats = await startNatsServer();
    });
    afterAll(async () => {
      await t?.stop();
      if (!nats.running()) await nats.start();
      await deleteAllStreams(nats.url);
      await nats.dispose();
    });

    it('pauses ingestion loudly instead of deleting unpublished events, and resumes once NATS has them', async () => {
      t = await startTestSidecar({
        overrides: {
          node: 'limit-node',
          heartbeat_interval_ms: 600_000,
          store: { max_size_bytes: LIMIT, check_interval_ms: 50 },
          watch: { debounce_ms: 10, reconcile_interval_ms: 60_000 },
          nats: { url: nats.url, ...NATS_FAST },
        },
      });
      const s = t;
      const { ctx } = s.sidecar;
      await waitFor(() => ctx.bus.isConnected());
      await nats.crash();

      const dir = path.join(s.workspace, 'activity', 'tasks');
      fs.mkdirSync(dir, { recursive: true });
      const written: string[] = [];
      const write = (n: number): void => {
        for (let i = 0; i < n; i++) {
          const rel = `activity/tasks/t${written.length}.json`;
          fs.writeFileSync(
            path.join(s.workspace, rel),
            JSON.stringify({ id: rel, status: 'done', result: 'y'.repeat(2000) })
          );
          written.push(rel);
        }
      };
      // The bus is not ready either (NATS is down): read the store's own check.
      const storeCheck = async (): Promise<{ ok: boolean; detail?: string }> =>
        (
          (await s.call('GET', '/readyz', { as: 'viewer' })).body as {
            checks: { store: { ok: boolean; detail?: string } };
          }
        ).checks.store;
      const overLimit = async (): Promise<boolean> => !(await storeCheck()).ok;
      const ingested = (): number =>
        ctx.db.prepare("SELECT COUNT(*) FROM events WHERE kind = 'activity.tasks'").pluck().get() as number;
      // Files arrive until the store says it is full; their events are kept.
      while (!(await overLimit())) {
        if (written.length >= 5000) throw new Error('5,000 files written and the store never reached its limit');
        write(100);
        await waitFor(async () => (await overLimit()) || ingested() === written.length, 10_000);
      }
      write(200);

      expect((await storeCheck()).detail).toContain('store over its size limit');
      const metrics = String((await s.call('GET', '/metrics', { as: 'viewer' })).body);
      expect(sampleValue(metrics, 'lookout_store_unwritable', { reason: 'over_limit' })).toBe(1);
      const reached = await readFeed((m, r) => s.call(m, r, { as: 'viewer' }), 'all', 'kind=store.limit_reached');
      expect(reached).toEqual([
        expect.objectContaining({
          severity: 'critical',
          data: expect.objectContaining({ limit_bytes: LIMIT, policy: 'pause_ingestion' }),
        }),
      ]);
      expect(() => ctx.events.append({ source: 'watcher', kind: 'refused' })).toThrow(StoreUnavailableError);
      // The control plane keeps working over the limit.
      expect((await s.call('POST', '/api/v1/actions/kill/plan', { as: 'operator', body: {} })).status).toBe(200);

      await nats.start();
      // Every file written reaches the stream exactly once: none was deleted before it was published.
      await waitFor(
        async () => {
          const msgs = await readWholeStream(nats.url, ctx.config.nats.stream);
          const events = msgs.map((m) => m.data as unknown as Parameters<typeof fileEventProblems>[0][number]);
          return (
            fileEventProblems(
              events.filter((e) => e.kind.startsWith('activity.')),
              written
            ).length === 0
          );
        },
        60_000,
        250
      );
      await waitFor(async () => (await s.call('GET', '/readyz', { as: 'viewer' })).status === 200, 30_000);
      const ids = (await readWholeStream(nats.url, ctx.config.nats.stream)).map((m) => String(m.data['id']));
      expect(ids.length - new Set(ids).size).toBe(0);
      expect(ctx.storeHealth.usedBytes()).toBeLessThanOrEqual(LIMIT);
      const cleared = await readFeed((m, r) => s.call(m, r, { as: 'viewer' }), 'all', 'kind=store.limit_cleared');
      expect(cleared.length).toBeGreaterThanOrEqual(1);
    }, 120_000);
  });
});
