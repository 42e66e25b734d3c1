import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import type { SidecarContext } from '../../src/context';
import { EventRejectedError } from '../../src/events/event-log';
import type { EventInput } from '../../src/events/event';
import { createLogger } from '../../src/log/logger';
import { buildContext } from '../../src/main';

describe('event log', () => {
  let dir: string;
  let ctx: SidecarContext;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-eventlog-'));
    const config = loadConfig({ env: {}, overrides: { data_dir: dir, node: 'n1', log_level: 'silent' } });
    ctx = buildContext(config, { logger: createLogger('silent') });
  });
  afterEach(() => {
    if (ctx.db.open) ctx.db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const rejected = async (): Promise<number> => {
    const m = await ctx.metrics.prometheus.getSingleMetric('lookout_events_rejected_total')!.get();
    return m.values.reduce((n, v) => n + v.value, 0);
  };

  it.each([
    ['an unknown source', { source: 'nowhere', kind: 'x.y' }, /source/],
    ['an unknown severity', { source: 'api', kind: 'x.y', severity: 'fatal' }, /severity/],
    ['a kind that is not a string', { source: 'api', kind: 42 }, /kind/],
    ['data that is not an object', { source: 'api', kind: 'x.y', data: [1, 2] }, /data/],
    ['an actor that is not a string', { source: 'api', kind: 'x.y', actor: 7 }, /actor/],
  ])('rejects %s with EventRejectedError and stores nothing of its batch', async (_what, bad, message) => {
    const good: EventInput = { source: 'api', kind: 'test.ok' };
    expect(() => ctx.events.appendMany([good, bad as unknown as EventInput, good])).toThrow(EventRejectedError);
    expect(() => ctx.events.append(bad as unknown as EventInput)).toThrow(message);
    expect(ctx.events.repo.count()).toBe(0);
    expect(await rejected()).toBe(2);
  });

  it('fills in the envelope: ids in order, one node, defaults, a fresh 128-bit trace id per event', () => {
    const stored = ctx.events.appendMany([
      { source: 'watcher', kind: 'file.changed', subject: 'a' },
      { source: 'api', kind: 'x.y', severity: 'warning', trace_id: 'given', actor: 'op', data: { k: 1 } },
      { source: 'api', kind: 'x.z' },
    ]);
    expect(stored.map((e) => e.node)).toEqual(['n1', 'n1', 'n1']);
    expect([...stored.map((e) => e.id)].sort()).toEqual(stored.map((e) => e.id));
    expect(stored[0]).toMatchObject({ severity: 'info', subject: 'a', data: {}, actor: null });
    expect(stored[1]).toMatchObject({ severity: 'warning', trace_id: 'given', actor: 'op', data: { k: 1 } });
    expect(stored[0]!.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(stored[2]!.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(stored[0]!.trace_id).not.toBe(stored[2]!.trace_id);
    expect(Number.isNaN(Date.parse(stored[0]!.ts))).toBe(false);
    const back = ctx.events.query({ limit: 3 });
    expect(back.map((e) => e.id).reverse()).toEqual(stored.map((e) => e.id));
  });

  it('never repeats a trace id across many batches', () => {
    const seen = new Set<string>();
    for (let b = 0; b < 20; b++) {
      const batch = ctx.events.appendMany(Array.from({ length: 100 }, () => ({ source: 'api' as const, kind: 'x.y' })));
      for (const e of batch) seen.add(e.trace_id);
    }
    expect(seen.size).toBe(2000);
  });
});
