import { type TestSidecar, startTestSidecar } from '../helpers/sidecar';

interface StatusBody {
  uptime_s: number;
  auth: { token: string; role: string };
  events: { stored: number; last_id: string | null };
  kill_switch?: { engaged: boolean };
}

describe('GET /api/v1/status between changes', () => {
  let t: TestSidecar;
  afterEach(async () => {
    await t?.stop();
  });

  const status = async (as: 'viewer' | 'operator' = 'viewer'): Promise<StatusBody> => {
    const r = await t.call('GET', '/api/v1/status', { as });
    expect(r.status).toBe(200);
    return r.body as StatusBody;
  };

  it('shows an event appended right before the read, and who is asking on every request', async () => {
    t = await startTestSidecar();
    const before = await status();
    const e = t.sidecar.ctx.events.append({ source: 'api', kind: 'test.poked', subject: 'status' });
    const after = await status('operator');
    expect(after.events.last_id).toBe(e.id);
    expect(after.events.stored).toBe(before.events.stored + 1);
    expect(after.auth.role).toBe('operator');
    expect((await status()).auth.role).toBe('viewer');
  });

  it('shows the kill switch engaged and released immediately', async () => {
    t = await startTestSidecar();
    expect((await status()).kill_switch?.engaged).toBe(false);
    const { killSwitch } = t.sidecar.control;
    killSwitch.engage('test', 'status freshness');
    expect((await status()).kill_switch?.engaged).toBe(true);
    killSwitch.release('test', 'done');
    expect((await status()).kill_switch?.engaged).toBe(false);
  });

  it('counts stored events without scanning, and stays exact after retention-style pruning of the oldest', async () => {
    t = await startTestSidecar();
    t.sidecar.ctx.events.appendMany(Array.from({ length: 50 }, () => ({ source: 'api' as const, kind: 'test.bulk' })));
    const exact = t.sidecar.ctx.events.repo.count();
    expect((await status()).events.stored).toBe(exact);
    t.sidecar.ctx.events.repo.prune('1970-01-01T00:00:00.000Z', exact - 10);
    // A prune appends nothing: the next change or the status' maximum age shows it; a change does at once.
    t.sidecar.ctx.events.append({ source: 'api', kind: 'test.after_prune' });
    expect((await status()).events.stored).toBe(t.sidecar.ctx.events.repo.count());
  });
});
