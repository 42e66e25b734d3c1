import { asGrafana } from '../helpers/sidecar';
import { type ControlHarness, startControlHarness } from './control-harness';

describe('audit log', () => {
  let h: ControlHarness;
  beforeEach(async () => {
    h = await startControlHarness({ overrides: { http: { control_rate_limit_per_minute: 5 } } });
  });
  afterEach(async () => {
    await h.stop();
  });

  test('every control call is audited with actor, reason and result, refused ones included', async () => {
    const ok = await h.t.call('POST', '/api/v1/scheduler/pause', {
      ...asGrafana({ login: 'carol', role: 'Editor', orgId: 2 }),
      body: { reason: 'freeze for release' },
    });
    expect(ok.status).toBe(200);
    await h.t.call('POST', '/api/v1/scheduler/resume', { as: 'operator', body: {} }); // 400: no reason
    await h.t.call('POST', '/retrain', { as: null, body: { reason: 'who am i' } }); // 401
    await h.t.call('POST', '/retrain', { as: 'viewer', body: { reason: 'not allowed' } }); // 403
    const entries = (await h.t.call('GET', '/api/v1/audit', { as: 'admin' })).body as {
      items: {
        actor: string;
        token: string | null;
        token_role: string | null;
        role: string | null;
        grafana_user: string | null;
        grafana_org_id: number | null;
        grafana_org_role: string | null;
        action: string;
        reason: string | null;
        status: number;
        result: string;
      }[];
    };
    expect(entries.items.reverse()).toEqual([
      expect.objectContaining({
        actor: 'grafana:carol',
        token: 'grafana',
        token_role: 'grafana',
        role: 'operator',
        grafana_user: 'carol',
        grafana_org_id: 2,
        grafana_org_role: 'Editor',
        action: 'scheduler.pause',
        reason: 'freeze for release',
        status: 200,
        result: 'paused=true',
      }),
      expect.objectContaining({
        actor: 'operator',
        action: 'scheduler.resume',
        reason: null,
        status: 400,
        result: 'error:invalid_request',
      }),
      expect.objectContaining({
        actor: 'anonymous',
        token: null,
        role: null,
        action: 'retrain',
        reason: 'who am i',
        status: 401,
        result: 'error:unauthenticated',
      }),
      expect.objectContaining({
        actor: 'viewer',
        token: 'viewer',
        role: 'viewer',
        grafana_user: null,
        action: 'retrain',
        reason: 'not allowed',
        status: 403,
        result: 'error:forbidden',
      }),
    ]);
  });

  test('control routes are rate limited per token with 429 and Retry-After, and the 429 is audited', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 7; i++) {
      const r = await h.t.call('POST', '/api/v1/actions/retrain/plan', { as: 'operator', body: {} });
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    const audit = (await h.t.call('GET', '/api/v1/audit?action=plan:retrain', { as: 'admin' })).body as {
      items: { status: number }[];
    };
    expect(audit.items.map((e) => e.status)).toContain(429);
  });

  test('only an admin may read the audit log', async () => {
    expect((await h.t.call('GET', '/api/v1/audit', { as: 'operator' })).status).toBe(403);
    expect((await h.t.call('GET', '/api/v1/audit', { as: null })).status).toBe(401);
  });
});
