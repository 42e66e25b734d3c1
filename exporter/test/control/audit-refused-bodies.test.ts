import { type TestSidecar, startTestSidecar } from '../helpers/sidecar';

interface AuditEntry {
  actor: string;
  action: string;
  path: string;
  route: string;
  status: number;
  result: string;
}

describe('audit of control calls whose body is refused before routing', () => {
  let t: TestSidecar;
  beforeEach(async () => {
    t = await startTestSidecar();
  });
  afterEach(async () => {
    await t.stop();
  });

  const audit = async (): Promise<AuditEntry[]> =>
    ((await t.call('GET', '/api/v1/audit', { as: 'admin' })).body as { items: AuditEntry[] }).items;

  test('a malformed-JSON plan request is answered 400 invalid_json and appears in the audit log with its caller', async () => {
    const res = await t.call('POST', '/api/v1/actions/kill/plan', { as: 'operator', raw: '{"reason": "oops",' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'invalid_json' } });
    expect(await audit()).toEqual([
      expect.objectContaining({
        actor: 'operator',
        action: 'plan:kill',
        path: '/api/v1/actions/kill/plan',
        route: '/api/v1/actions/:name/plan',
        status: 400,
        result: 'error:invalid_json',
      }),
    ]);
  });

  test('a body over the size limit is answered 413 and audited', async () => {
    const raw = JSON.stringify({ reason: 'x'.repeat(1024 * 1024 + 10) });
    const res = await t.call('POST', '/api/v1/actions/kill/plan', { as: 'operator', raw });
    expect(res.status).toBe(413);
    expect(await audit()).toEqual([
      expect.objectContaining({
        actor: 'operator',
        action: 'plan:kill',
        status: 413,
        result: 'error:payload_too_large',
      }),
    ]);
  });

  test('without a token a malformed body is still answered 400 first, and audited as anonymous', async () => {
    const res = await t.call('POST', '/api/v1/actions/kill/plan', { as: null, raw: 'not json' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'invalid_json' } });
    expect(await audit()).toEqual([expect.objectContaining({ actor: 'anonymous', action: 'plan:kill', status: 400 })]);
  });

  test('a malformed body to a path no route serves is still 400 invalid_json and not audited', async () => {
    const res = await t.call('POST', '/api/v1/no-such-route', { as: 'operator', raw: '{' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'invalid_json' } });
    expect(await audit()).toEqual([]);
  });
});
