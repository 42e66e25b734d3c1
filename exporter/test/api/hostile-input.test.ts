import { type RawAnswer, rawRequest } from '../helpers/raw-http';
import { TOKENS, type TestSidecar, startTestSidecar } from '../helpers/sidecar';

/**
 * What a hostile run against the sidecar found (issue 10), each answered: case variants and
 * non-canonical spellings reach no handler, OPTIONS tells nothing, a body that is not a JSON object
 * is refused (never read as `{}`), garbage cursors and oversized filters are 400s with the field path.
 */

type ErrorJson = { error?: { code: string; details?: unknown } } & Record<string, unknown>;

/** A raw request (see rawRequest): the path and headers as given, the JSON body typed for these tests. */
async function raw(
  base: string,
  method: string,
  p: string,
  headers: Record<string, string>,
  body?: string
): Promise<{ status: number; headers: RawAnswer['headers']; body: ErrorJson }> {
  const a = await rawRequest(base, { method, path: p, headers, body });
  return { status: a.status, headers: a.headers, body: (a.json ?? {}) as ErrorJson };
}

const auth = (role: keyof typeof TOKENS): Record<string, string> => ({ authorization: `Bearer ${TOKENS[role]}` });

describe('hostile input', () => {
  let t: TestSidecar;
  beforeEach(async () => {
    t = await startTestSidecar();
  });
  afterEach(async () => {
    await t.stop();
  });

  const actionsStored = (): number =>
    (t.sidecar.ctx.db.prepare('SELECT COUNT(*) AS n FROM actions').get() as { n: number }).n;
  const plansStored = (): number =>
    (t.sidecar.ctx.db.prepare('SELECT COUNT(*) AS n FROM action_plans').get() as { n: number }).n;

  describe('paths', () => {
    test.each(['/Kill', '/KILL', '/kill/', '//kill', '/%6Bill', '/x/../kill', '/x/%2e%2e/kill'])(
      'POST %s with an operator token is a 404 and does not engage the kill switch',
      async (p) => {
        const r = await raw(
          t.url,
          'POST',
          p,
          { ...auth('operator'), 'content-type': 'application/json' },
          '{"reason":"hostile run"}'
        );
        expect(r.status).toBe(404);
        expect(r.body.error).toMatchObject({ code: 'not_found' });
        expect(t.sidecar.control.killSwitch.isEngaged()).toBe(false);
        expect(actionsStored()).toBe(0);
        expect(plansStored()).toBe(0);
      }
    );

    test('the canonical POST /kill still engages it (the refusals above are about the spelling)', async () => {
      const r = await raw(
        t.url,
        'POST',
        '/kill',
        { ...auth('operator'), 'content-type': 'application/json' },
        '{"reason":"drill"}'
      );
      expect(r.status).toBe(202);
      expect(t.sidecar.control.killSwitch.isEngaged()).toBe(true);
    });

    test.each([
      ['/api/v1/audit/', 'non_canonical_path'],
      ['/api/v1/AUDIT', 'no_route'],
      ['/api/v1/Audit', 'no_route'],
      ['/api/v1/%61udit', 'non_canonical_path'],
      ['/api/v1%2Faudit', 'non_canonical_path'],
      ['/api//v1/audit', 'non_canonical_path'],
      ['/api/v1\\audit', 'non_canonical_path'],
    ])('GET %s is a 404 (%s) even for an admin, and serves no audit entry', async (p, reason) => {
      await raw(
        t.url,
        'POST',
        '/api/v1/scheduler/pause',
        { ...auth('operator'), 'content-type': 'application/json' },
        '{"reason":"leave a row"}'
      );
      const r = await raw(t.url, 'GET', p, auth('admin'));
      expect(r.status).toBe(404);
      expect(r.body.error).toMatchObject({ code: 'not_found', details: { reason } });
      expect(r.body['items']).toBeUndefined();
    });

    test('OPTIONS answers 404 without an Allow header, before and after authentication', async () => {
      for (const headers of [{}, auth('admin')]) {
        for (const p of ['/api/v1/status', '/api/v1/actions/kill/plan', '/kill', '/healthz']) {
          const r = await raw(t.url, 'OPTIONS', p, headers);
          expect({ p, status: r.status, allow: r.headers['allow'] }).toEqual({ p, status: 404, allow: undefined });
          expect(r.body.error).toMatchObject({ code: 'not_found', details: { reason: 'no_route' } });
        }
      }
    });
  });

  describe('bodies that are not a JSON object', () => {
    const plan = '/api/v1/actions/kill/plan';

    test.each([
      ['text/plain', 'text/plain'],
      ['form-encoded', 'application/x-www-form-urlencoded'],
      ['text/plain with a charset', 'text/plain; charset=utf-8'],
    ])('a %s {"break_glass":"yes"} plan is a 415 and plans nothing', async (_name, type) => {
      const r = await raw(t.url, 'POST', plan, { ...auth('operator'), 'content-type': type }, '{"break_glass":"yes"}');
      expect(r.status).toBe(415);
      expect(r.body.error).toMatchObject({ code: 'unsupported_media_type' });
      expect(plansStored()).toBe(0);
    });

    test('a body without a Content-Type is a 415', async () => {
      const r = await raw(t.url, 'POST', plan, auth('operator'), '{"break_glass":true}');
      expect(r.status).toBe(415);
      expect(plansStored()).toBe(0);
    });

    test.each([['null'], ['[]'], ['"kill"'], ['42']])('a JSON %s body is a 400 on body, never {}', async (json) => {
      const r = await raw(t.url, 'POST', plan, { ...auth('operator'), 'content-type': 'application/json' }, json);
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({
        code: 'invalid_request',
        details: [expect.objectContaining({ path: 'body' })],
      });
      expect(plansStored()).toBe(0);
    });

    test('an absent body (Content-Length: 0) still plans with no params', async () => {
      const r = await raw(t.url, 'POST', plan, { ...auth('operator'), 'content-length': '0' });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ action: 'kill', break_glass: false });
      expect(plansStored()).toBe(1);
    });

    test.each(['/api/v1/agents/agent-1/heartbeat', '/api/agents/agent-1/heartbeat'])(
      'the heartbeat route %s refuses text/plain, no Content-Type and null, and takes an absent body',
      async (p) => {
        const reg = await t.call('POST', '/api/v1/agents', {
          as: 'agent',
          body: { name: 'agent-1', capabilities: [] },
        });
        expect(reg.status).toBe(201);
        const before = t.sidecar.agents.getAgent('agent-1')!.last_heartbeat;
        const tries = [
          await raw(t.url, 'POST', p, { ...auth('agent'), 'content-type': 'text/plain' }, '{"status":"offline"}'),
          await raw(t.url, 'POST', p, auth('agent'), '{"status":"offline"}'),
          await raw(t.url, 'POST', p, { ...auth('agent'), 'content-type': 'application/json' }, 'null'),
        ];
        expect(tries.map((r) => r.status)).toEqual([415, 415, 400]);
        expect(t.sidecar.agents.getAgent('agent-1')).toMatchObject({ status: 'idle', last_heartbeat: before });
        const ok = await raw(t.url, 'POST', p, { ...auth('agent'), 'content-length': '0' });
        expect(ok.status).toBe(200);
      }
    );

    test('a refused body is audited with its caller like any refused control call', async () => {
      await raw(t.url, 'POST', plan, { ...auth('operator'), 'content-type': 'text/plain' }, '{"break_glass":"yes"}');
      const audit = await t.call('GET', '/api/v1/audit', { as: 'admin' });
      expect((audit.body as { items: unknown[] }).items).toEqual([
        expect.objectContaining({
          actor: 'operator',
          token: 'operator',
          role: 'operator',
          action: 'plan:kill',
          status: 415,
          result: 'error:unsupported_media_type',
        }),
      ]);
    });

    test('a route that takes no body refuses one', async () => {
      const r = await raw(
        t.url,
        'DELETE',
        '/api/v1/agents/agent-1',
        { ...auth('operator'), 'content-type': 'application/json' },
        '{"force":true}'
      );
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ details: [expect.objectContaining({ path: 'body' })] });
    });
  });

  describe('cursors and filters', () => {
    test.each([
      '/api/v1/artifacts/calibration?cursor=!!!',
      '/api/v1/artifacts/calibration?cursor=LTE',
      '/artifacts/m15?cursor=LTE',
      '/artifacts/m15?cursor=!!!',
      '/api/v1/feeds/all?cursor=LTE',
      '/api/v1/actions?cursor=!!!',
      '/api/v1/incidents?cursor=bm9wZQ',
      '/api/v1/agents?cursor=LTE',
      '/api/v1/tasks?cursor=LTE',
      '/api/v1/decisions?cursor=!!!',
      '/api/v1/audit?cursor=LTE',
      '/api/v1/diagnostics?cursor=LTE',
      '/api/agents?cursor=LTE',
      '/api/tasks?cursor=!!!',
    ])('GET %s is a 400 on query.cursor', async (p) => {
      const r = await raw(t.url, 'GET', p, auth('admin'));
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({
        code: 'invalid_request',
        details: [expect.objectContaining({ path: 'query.cursor' })],
      });
    });

    const big = 'a'.repeat(10 * 1024);
    test.each([
      ['/api/v1/feeds/all', 'kind'],
      ['/api/v1/feeds/all', 'source'],
      ['/api/v1/feeds/all', 'subject'],
      ['/api/v1/diagnostics', 'tag'],
      ['/api/v1/diagnostics', 'assignee'],
      ['/api/v1/audit', 'actor'],
      ['/api/v1/artifacts/calibration', 'generation'],
    ])('GET %s?%s=<10 KB> is a 400 on that field', async (p, field) => {
      const r = await raw(t.url, 'GET', `${p}?${field}=${big}`, auth('admin'));
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({
        code: 'invalid_request',
        details: [expect.objectContaining({ path: expect.stringMatching(new RegExp(`^query\\.${field}(\\.|$)`)) })],
      });
    });
  });
});
