import { type ControlHarness, makeCanary, startControlHarness } from './control-harness';
import { waitFor } from '../helpers/wait';

/** Waits until the clock has moved on, so the next mark has its own millisecond. */
const clockMoves = async (): Promise<void> => {
  const now = Date.now();
  await waitFor(() => Date.now() > now + 1, 1000, 1);
};

describe('lineage time travel and rollback', () => {
  let h: ControlHarness;
  beforeEach(async () => {
    h = await startControlHarness({ seed: 11 });
  });
  afterEach(async () => {
    await h.stop();
  });

  test('lineage?at= answers what was active across three promotions, and the ledger names who moved it and why', async () => {
    const first = h.t.sidecar.ctx.lineage.current().active!;
    const marks: { at: string; active: string }[] = [];
    await clockMoves();
    marks.push({ at: new Date().toISOString(), active: first });
    for (let i = 0; i < 3; i++) {
      const canary = await makeCanary(h);
      await clockMoves();
      const r = await h.act('canary_promote', { reason: `promotion ${i + 1}` });
      expect(r.status).toBe(202);
      const done = await h.settled(r.body['id'] as string);
      expect(done['status']).toBe('verified');
      await waitFor(() => h.t.sidecar.ctx.lineage.current().active === canary);
      await clockMoves();
      marks.push({ at: new Date().toISOString(), active: canary });
    }
    expect(new Set(marks.map((m) => m.active)).size).toBe(4);
    for (const m of marks) {
      const r = await h.t.call('GET', `/api/v1/lineage?at=${encodeURIComponent(m.at)}`, { as: 'viewer' });
      expect(r.status).toBe(200);
      expect((r.body as { active: string }).active).toBe(m.active);
    }
    const epoch = await h.t.call('GET', `/lineage?at=${Date.parse(marks[1]!.at)}`, { as: 'viewer' });
    expect((epoch.body as { active: string }).active).toBe(marks[1]!.active);
    const moves = h.t.sidecar.ctx.lineage.moves().filter((m) => m.pointer === 'active' && m.source === 'actions');
    expect(moves.map((m) => m.reason).reverse()).toEqual([
      'canary_promote: promotion 1',
      'canary_promote: promotion 2',
      'canary_promote: promotion 3',
    ]);
    expect(moves.every((m) => m.actor === 'operator')).toBe(true);
  });

  test('rollback without a target goes to the last known good generation, skipping one that had a critical incident', async () => {
    const g1 = h.t.sidecar.ctx.lineage.current().active!;
    const g2 = await makeCanary(h);
    await h.settled((await h.act('canary_promote')).body['id'] as string);
    await waitFor(() => h.t.sidecar.ctx.lineage.current().active === g2);
    // g2 has a critical incident during its tenure: not good.
    const inc = h.t.sidecar.control.incidents.open({ rule: 'pnl', severity: 'critical', title: 'pnl collapse on g2' });
    h.t.sidecar.control.incidents.resolve(inc.id, 'operator', 'fixed');
    const g3 = await makeCanary(h);
    await h.settled((await h.act('canary_promote')).body['id'] as string);
    await waitFor(() => h.t.sidecar.ctx.lineage.current().active === g3);
    expect(h.t.sidecar.control.actions.lastKnownGood()).toBe(g1);

    const plan = await h.t.call('POST', '/api/v1/actions/rollback/plan', { as: 'operator', body: {} });
    expect((plan.body as { changes: unknown[] }).changes).toEqual([{ field: 'lineage.active', from: g3, to: g1 }]);
    const r = await h.act('rollback', { reason: 'g3 misbehaves' });
    const done = await h.settled(r.body['id'] as string);
    expect(done['status']).toBe('verified');
    expect(h.sim.getState().active).toBe(g1);
    const move = h.t.sidecar.ctx.lineage
      .moves()
      .find((m) => m.pointer === 'active' && m.generation === g1 && m.source === 'actions');
    expect(move).toMatchObject({ actor: 'operator', reason: 'rollback: g3 misbehaves' });
  });

  test('rollback to a named target, and to an unknown one refused by its interlock', async () => {
    const g1 = h.t.sidecar.ctx.lineage.current().active!;
    const g2 = await makeCanary(h);
    await h.settled((await h.act('canary_promote')).body['id'] as string);
    await waitFor(() => h.t.sidecar.ctx.lineage.current().active === g2);
    const unknown = await h.t.call('POST', '/api/v1/actions/rollback/plan', {
      as: 'operator',
      body: { params: { target: 'gen-9999' } },
    });
    expect((unknown.body as { interlocks: { code: string }[] }).interlocks.map((i) => i.code)).toEqual([
      'unknown_generation',
    ]);
    const r = await h.act('rollback', { params: { target: g1 } });
    expect((await h.settled(r.body['id'] as string))['status']).toBe('verified');
    expect(h.t.sidecar.ctx.lineage.current().active).toBe(g1);
  });
});
