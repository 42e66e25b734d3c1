import { whoamiSchema } from '../../src/api/routers/identity-routes';
import type { ConfigInput } from '../../src/config/config-schema';
import { type GrafanaUser, type TestSidecar, asGrafana, grafanaContext, startTestSidecar } from '../helpers/sidecar';

/**
 * The grafana token is a delegation: every request with it acts for the Grafana user that
 * X-Grafana-Context names, with that user's role, capped by the configured ceiling; the audit log
 * and the rate limiter see the person, not the token.
 */

interface AuditRow {
  actor: string;
  token: string | null;
  token_role: string | null;
  role: string | null;
  grafana_user: string | null;
  grafana_org_id: number | null;
  grafana_org_role: string | null;
  action: string;
  status: number;
  result: string;
}

const pause = { body: { reason: 'freeze for the release' } };

describe('grafana delegation token', () => {
  let t: TestSidecar;
  const start = async (overrides: ConfigInput = {}): Promise<void> => {
    t = await startTestSidecar({ overrides });
  };
  afterEach(async () => {
    await t?.stop();
  });

  const whoami = async (opts: Parameters<TestSidecar['call']>[2]) => {
    const r = await t.call('GET', '/api/v1/whoami', opts);
    expect(r.status).toBe(200);
    // The answer is what the OpenAPI document promises (the app config page is built on it).
    return whoamiSchema.parse(r.body);
  };

  test('whoami names the Grafana user, the role it maps to and what is not verified', async () => {
    await start();
    const me = await whoami(asGrafana({ login: 'erin', role: 'Editor', orgId: 4 }));
    expect(me).toEqual({
      actor: 'grafana:erin',
      role: 'operator',
      token: { name: 'grafana', role: 'grafana' },
      grafana: {
        login: 'erin',
        org_id: 4,
        org_role: 'Editor',
        is_grafana_admin: false,
        mapped_role: 'operator',
        id_token: 'not_configured',
      },
      ceiling: 'admin',
      warnings: [expect.stringContaining('X-Grafana-Id is not verified')],
    });
  });

  test('whoami warns when the credential is not a grafana token, for agents too', async () => {
    await start();
    const viewer = await whoami({ as: 'viewer' });
    expect(viewer).toMatchObject({ actor: 'viewer', role: 'viewer', grafana: null, ceiling: null });
    expect(viewer.warnings).toEqual([expect.stringContaining('every Grafana user acts as token viewer')]);
    const agent = await whoami({ as: 'agent' });
    expect(agent).toMatchObject({ actor: 'agent-1', role: 'agent', token: { name: 'agent-1', role: 'agent' } });
    expect((await t.call('GET', '/api/v1/whoami', { as: null })).status).toBe(401);
  });

  test('Viewer reads, Editor operates, Admin administers; None, anonymous and unknown roles are refused', async () => {
    await start();
    const as = (u: GrafanaUser) => asGrafana(u);
    expect((await t.call('GET', '/api/v1/status', as({ login: 'vic', role: 'Viewer' }))).status).toBe(200);
    const viewerPause = await t.call('POST', '/api/v1/scheduler/pause', {
      ...as({ login: 'vic', role: 'Viewer' }),
      ...pause,
    });
    expect(viewerPause.status).toBe(403);
    expect(viewerPause.body).toMatchObject({ error: { code: 'forbidden' } });
    expect(
      (await t.call('POST', '/api/v1/scheduler/pause', { ...as({ login: 'ed', role: 'Editor' }), ...pause })).status
    ).toBe(200);
    expect((await t.call('GET', '/api/v1/audit', as({ login: 'ed', role: 'Editor' }))).status).toBe(403);
    expect((await t.call('GET', '/api/v1/audit', as({ login: 'ada', role: 'Admin' }))).status).toBe(200);
    for (const u of [
      { login: 'nobody', role: 'None' as const },
      { login: 'anon', role: 'Viewer' as const, isAnonymous: true },
      { login: '', role: 'Admin' as const },
      { login: 'lower', role: 'admin' as unknown as 'Admin' },
      { login: 'super', role: 'Superuser' as unknown as 'Admin' },
    ]) {
      const r = await t.call('GET', '/api/v1/status', as(u));
      expect({ login: u.login, status: r.status, body: r.body }).toEqual({
        login: u.login,
        status: 403,
        body: { error: expect.objectContaining({ code: 'grafana_role_refused' }) },
      });
    }
  });

  test('a missing or malformed X-Grafana-Context is a 401 with its own code', async () => {
    await start();
    const missing = await t.call('GET', '/api/v1/status', { as: 'grafana' });
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ error: { code: 'grafana_context_missing' } });
    for (const header of [
      'alice',
      '[]',
      'null',
      '{"Login":"alice","OrgRole":"Admin"}',
      '{"Login":"alice","OrgID":"1","OrgRole":"Admin"}',
      '{"Login":7,"OrgID":1,"OrgRole":"Admin"}',
      JSON.stringify({ Login: 'a\u0007b', OrgID: 1, OrgRole: 'Admin' }),
      '{"Login":"alice","OrgID":0,"OrgRole":"Admin"}',
    ]) {
      const r = await t.call('GET', '/api/v1/status', { as: 'grafana', headers: { 'x-grafana-context': header } });
      expect({ header, status: r.status, code: (r.body as { error?: { code: string } }).error?.code }).toEqual({
        header,
        status: 401,
        code: 'grafana_context_invalid',
      });
    }
  });

  test('the ceiling caps every Grafana user, Admins included', async () => {
    await start({ http: { grafana: { role_ceiling: 'viewer' } } });
    const ada = asGrafana({ login: 'ada', role: 'Admin' });
    const me = await whoami(ada);
    expect(me).toMatchObject({ role: 'viewer', ceiling: 'viewer', grafana: { mapped_role: 'admin' } });
    expect(me.warnings).toContainEqual(expect.stringContaining('caps it to viewer'));
    expect((await t.call('POST', '/api/v1/scheduler/pause', { ...ada, ...pause })).status).toBe(403);
    expect(t.sidecar.control.scheduler.isPaused()).toBe(false);
    // The ceiling is for the delegation only: a plain admin token is not capped.
    expect((await t.call('GET', '/api/v1/audit', { as: 'admin' })).status).toBe(200);
  });

  test('a Grafana server admin gets nothing extra unless server_admin_role says so', async () => {
    await start();
    const sa = asGrafana({ login: 'root', role: 'Viewer', isGrafanaAdmin: true });
    const me = await whoami(sa);
    expect(me).toMatchObject({ role: 'viewer', grafana: { is_grafana_admin: true } });
    expect(me.warnings).toContainEqual(expect.stringContaining('server admin'));
    await t.stop();
    await start({ http: { grafana: { server_admin_role: 'operator' } } });
    expect(await whoami(sa)).toMatchObject({ role: 'operator', grafana: { mapped_role: 'operator' } });
    // Even with no org role at all.
    expect(await whoami(asGrafana({ login: 'root', role: 'None', isGrafanaAdmin: true }))).toMatchObject({
      role: 'operator',
    });
    // An org Admin who is also a server admin keeps the higher role.
    expect(await whoami(asGrafana({ login: 'root', role: 'Admin', isGrafanaAdmin: true }))).toMatchObject({
      role: 'admin',
    });
  });

  test('a context header with any other token is ignored, and counted', async () => {
    await start();
    const forged = { 'x-grafana-context': grafanaContext({ login: 'mallory', role: 'Admin' }) };
    const metric = async (): Promise<number> => {
      const text = (await t.call('GET', '/metrics', { as: 'viewer' })).body as string;
      const m = /^lookout_http_grafana_context_ignored_total(?:\{[^}]*\})? (\S+)$/m.exec(text);
      return m ? Number(m[1]) : 0;
    };
    expect(await metric()).toBe(0);
    expect(await whoami({ as: 'viewer', headers: forged })).toMatchObject({
      actor: 'viewer',
      role: 'viewer',
      grafana: null,
    });
    const audit = await t.call('GET', '/api/v1/audit', { as: 'operator', headers: forged });
    expect(audit.status).toBe(403);
    const paused = await t.call('POST', '/api/v1/scheduler/pause', { as: 'operator', headers: forged, ...pause });
    expect(paused.status).toBe(200);
    expect(t.sidecar.control.scheduler.pauseState()).toMatchObject({ paused: true, actor: 'operator' });
    expect(await metric()).toBe(3);
  });

  test('every control call is audited with token, login, org, org role and effective role, refused ones included', async () => {
    await start();
    await t.call('POST', '/api/v1/scheduler/pause', {
      ...asGrafana({ login: 'ed', role: 'Editor', orgId: 2 }),
      ...pause,
    });
    await t.call('POST', '/api/v1/scheduler/resume', {
      ...asGrafana({ login: 'vic', role: 'Viewer', orgId: 2 }),
      ...pause,
    });
    await t.call('POST', '/api/v1/scheduler/resume', {
      ...asGrafana({ login: 'nobody', role: 'None', orgId: 3 }),
      ...pause,
    });
    await t.call('POST', '/api/v1/scheduler/resume', { as: 'grafana', ...pause });
    await t.call('POST', '/api/v1/scheduler/resume', {
      as: 'grafana',
      headers: { 'x-grafana-context': '{"Login":' },
      ...pause,
    });
    const rows = (
      (await t.call('GET', '/api/v1/audit', { as: 'admin' })).body as { items: AuditRow[] }
    ).items.reverse();
    const pick = (r: AuditRow) => ({
      actor: r.actor,
      token: r.token,
      token_role: r.token_role,
      role: r.role,
      grafana_user: r.grafana_user,
      grafana_org_id: r.grafana_org_id,
      grafana_org_role: r.grafana_org_role,
      status: r.status,
      result: r.result,
    });
    expect(rows.map(pick)).toEqual([
      {
        actor: 'grafana:ed',
        token: 'grafana',
        token_role: 'grafana',
        role: 'operator',
        grafana_user: 'ed',
        grafana_org_id: 2,
        grafana_org_role: 'Editor',
        status: 200,
        result: 'paused=true',
      },
      {
        actor: 'grafana:vic',
        token: 'grafana',
        token_role: 'grafana',
        role: 'viewer',
        grafana_user: 'vic',
        grafana_org_id: 2,
        grafana_org_role: 'Viewer',
        status: 403,
        result: 'error:forbidden',
      },
      {
        actor: 'grafana:nobody',
        token: 'grafana',
        token_role: 'grafana',
        role: null,
        grafana_user: 'nobody',
        grafana_org_id: 3,
        grafana_org_role: 'None',
        status: 403,
        result: 'error:grafana_role_refused',
      },
      {
        actor: 'grafana',
        token: 'grafana',
        token_role: 'grafana',
        role: null,
        grafana_user: null,
        grafana_org_id: null,
        grafana_org_role: null,
        status: 401,
        result: 'error:grafana_context_missing',
      },
      {
        actor: 'grafana',
        token: 'grafana',
        token_role: 'grafana',
        role: null,
        grafana_user: null,
        grafana_org_id: null,
        grafana_org_role: null,
        status: 401,
        result: 'error:grafana_context_invalid',
      },
    ]);
    expect(t.sidecar.control.scheduler.pauseState()).toMatchObject({ paused: true, actor: 'grafana:ed' });
  });

  test('the control rate limit is per person: two Grafana users behind one token each get their own budget', async () => {
    await start({ http: { control_rate_limit_per_minute: 3 } });
    const plan = (opts: Parameters<TestSidecar['call']>[2]) =>
      t.call('POST', '/api/v1/actions/retrain/plan', { ...opts, body: {} }).then((r) => r.status);
    const alice = asGrafana({ login: 'alice', role: 'Editor' });
    const bob = asGrafana({ login: 'bob', role: 'Editor' });
    const aliceOrg2 = asGrafana({ login: 'alice', role: 'Editor', orgId: 2 });
    const seen: Record<string, number[]> = { alice: [], bob: [], aliceOrg2: [], operator: [] };
    for (let i = 0; i < 4; i++) seen.alice!.push(await plan(alice));
    for (let i = 0; i < 4; i++) seen.bob!.push(await plan(bob));
    for (let i = 0; i < 4; i++) seen.aliceOrg2!.push(await plan(aliceOrg2));
    for (let i = 0; i < 4; i++) seen.operator!.push(await plan({ as: 'operator' }));
    expect(seen).toEqual({
      alice: [200, 200, 200, 429],
      bob: [200, 200, 200, 429],
      aliceOrg2: [200, 200, 200, 429],
      operator: [200, 200, 200, 429],
    });
  });
});
