import { expect, test } from '@playwright/test';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type GrafanaUser, type OrgRole, type PluginRoute, proxyPluginRequest } from './plugin-proxy';

/**
 * The harness's plugin proxy against Grafana's rules (GRAFANA-LOADER.md, grafana/grafana pkg/api/pluginproxy,
 * pkg/web/tree.go, pkg/util/proxyutil), one row per rule. Request level: an upstream that echoes what reached it.
 */

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

const ROUTES: PluginRoute[] = [
  { path: 'api/v1/audit', method: 'GET', reqRole: 'Admin', url: '{{ .JsonData.upstream }}/api/v1/audit' },
  { path: 'api/v1/actions/*', method: 'POST', reqRole: 'Editor', url: '{{ .JsonData.upstream }}/api/v1/actions' },
  { path: 'api/v1/any/*', method: '*', url: '{{ .JsonData.upstream }}/any' },
  { path: 'api/v1/nomethod', url: '{{ .JsonData.upstream }}/nomethod' },
  { path: 'api/v1/first', method: 'GET', url: '{{ .JsonData.upstream }}/first' },
  { path: 'api/v1/stream', method: 'GET', url: '{{ .JsonData.upstream }}/stream' },
  { path: 'api/v1/cookie', method: 'GET', url: '{{ .JsonData.upstream }}/cookie' },
  {
    path: 'api/v1/*',
    method: 'GET',
    reqRole: 'Viewer',
    url: '{{ .JsonData.upstream }}/api/v1',
    headers: [{ name: 'Authorization', content: 'Bearer {{ .SecureJsonData.token }}' }],
  },
];

function user(orgRole: OrgRole, over: Partial<GrafanaUser> = {}): GrafanaUser {
  return {
    userId: 7,
    login: `${orgRole.toLowerCase()}@example.org`,
    name: orgRole,
    email: `${orgRole.toLowerCase()}@example.org`,
    orgId: 1,
    orgName: 'Main Org.',
    orgRole,
    isGrafanaAdmin: false,
    isAnonymous: false,
    ...over,
  };
}

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let upstream: { server: http.Server; url: string };
let grafana: { server: http.Server; url: string };
const seen: Seen[] = [];
let signedIn = user('Viewer');
let sendUserHeader = false;
/** The SSE answer waits for this before ending: the test first sees the event arrive. */
let endStream: () => void = () => undefined;

test.beforeAll(async () => {
  upstream = await listen((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (req.url === '/stream') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('id: 1\nevent: lookout\ndata: {"n":1}\n\n');
      endStream = () => res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Set-Cookie': 'upstream=1; Path=/' });
    res.end(JSON.stringify({ ok: true }));
  });
  grafana = await listen((req, res) =>
    proxyPluginRequest(
      {
        routes: ROUTES,
        settings: () => ({ jsonData: { upstream: upstream.url }, secureJsonData: { token: 's3cret' } }),
        sendUserHeader,
      },
      req,
      res,
      signedIn
    )
  );
});

test.afterAll(async () => {
  endStream();
  for (const s of [grafana.server, upstream.server]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

test.beforeEach(() => {
  seen.length = 0;
  signedIn = user('Viewer');
  sendUserHeader = false;
});

/** A raw request through the proxy (the path exactly as given: no client-side normalising). */
function call(
  method: string,
  path: string,
  headers: Record<string, string> = {}
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(grafana.url);
    const req = http.request({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const P = '/api/plugin-proxy/lookout-ops-app/';

test.describe('the harness plugin proxy follows Grafana’s rules', () => {
  test('routes are tried in plugin.json order: the first match decides', async () => {
    // `api/v1/first` is listed before the `api/v1/*` catch-all, which also matches it.
    await call('GET', `${P}api/v1/first`);
    expect(seen.map((s) => s.url)).toEqual(['/first']);
  });

  test('a route whose method is set, is not * and differs is skipped', async () => {
    // POST api/v1/actions/* does not take a GET: the GET catch-all does, as a Viewer read.
    await call('GET', `${P}api/v1/actions/kill/plan`);
    expect(seen.map((s) => s.url)).toEqual(['/api/v1/actions/kill/plan']);
  });

  test('a route with method * or no method takes any method', async () => {
    await call('DELETE', `${P}api/v1/any/x`);
    await call('PUT', `${P}api/v1/nomethod`);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['DELETE /any/x', 'PUT /nomethod']);
  });

  test('static segments are compared case-sensitively: a case variant falls to the next route', async () => {
    signedIn = user('Viewer');
    const r = await call('GET', `${P}api/v1/AUDIT`);
    // As in Grafana: the Admin-only route is missed and the Viewer catch-all forwards it (the sidecar must refuse).
    expect(r.status).toBe(200);
    expect(seen.map((s) => s.url)).toEqual(['/api/v1/AUDIT']);
  });

  test('segments are compared after %-decoding: an encoded letter still hits the Admin route', async () => {
    const r = await call('GET', `${P}api/v1/aud%69t`);
    expect(r.status).toBe(403);
    expect(seen).toEqual([]);
  });

  test('one leading and one trailing slash are trimmed before matching', async () => {
    signedIn = user('Admin');
    await call('GET', `${P}api/v1/audit/`);
    await call('GET', `${P}/api/v1/audit`);
    expect(seen.map((s) => s.url)).toEqual(['/api/v1/audit', '/api/v1/audit']);
  });

  test('* captures the decoded rest, which is joined to the route url path', async () => {
    signedIn = user('Editor');
    await call('POST', `${P}api/v1/actions/kill_release%2Fapply?x=1`);
    expect(seen.map((s) => s.url)).toEqual(['/api/v1/actions/kill_release/apply?x=1']);
  });

  test('without * nothing is appended to the route url', async () => {
    signedIn = user('Admin');
    await call('GET', `${P}api/v1/audit?cursor=c1`);
    expect(seen.map((s) => s.url)).toEqual(['/api/v1/audit?cursor=c1']);
  });

  for (const [role, allowed] of [
    ['Viewer', false],
    ['Editor', true],
    ['Admin', true],
  ] as const) {
    test(`reqRole Editor against org role ${role}: ${allowed ? 'forwarded' : '403'}`, async () => {
      signedIn = user(role);
      const r = await call('POST', `${P}api/v1/actions/kill/plan`);
      expect(r.status).toBe(allowed ? 200 : 403);
      expect(seen).toHaveLength(allowed ? 1 : 0);
    });
  }

  test('a denied route answers 403 "plugin proxy route access denied" and later routes are not tried', async () => {
    signedIn = user('Editor');
    // The GET catch-all would let an Editor through; the Admin route matched first and decides.
    const r = await call('GET', `${P}api/v1/audit`);
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toEqual({ message: 'plugin proxy route access denied' });
    expect(seen).toEqual([]);
  });

  test('a Grafana server admin gets nothing beyond the org role', async () => {
    signedIn = user('Viewer', { isGrafanaAdmin: true });
    expect((await call('GET', `${P}api/v1/audit`)).status).toBe(403);
  });

  test('no matching route answers 404 "plugin route match not found"', async () => {
    const r = await call('POST', `${P}api/v2/status`);
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body)).toEqual({ message: 'plugin route match not found' });
    expect(seen).toEqual([]);
  });

  test('the route headers are applied, with the secure settings', async () => {
    await call('GET', `${P}api/v1/status`, { Authorization: 'Bearer from-the-browser' });
    expect(seen[0]!.headers.authorization).toBe('Bearer s3cret');
  });

  test('cookies are stripped both ways', async () => {
    const r = await call('GET', `${P}api/v1/cookie`, { Cookie: 'grafana_session=abc' });
    expect(seen[0]!.headers.cookie).toBeUndefined();
    expect(r.headers['set-cookie']).toBeUndefined();
    expect(r.headers['content-security-policy']).toBe('sandbox');
  });

  test('X-Grafana-Context is always the signed-in user with Go field names, replacing a client copy', async () => {
    signedIn = user('Editor', { userId: 42, login: 'eve', email: 'eve@example.org' });
    const forged = JSON.stringify({ Login: 'mallory', OrgRole: 'Admin' });
    await call('GET', `${P}api/v1/status`, { 'X-Grafana-Context': forged });
    const ctx = JSON.parse(String(seen[0]!.headers['x-grafana-context'])) as Record<string, unknown>;
    expect(ctx).toMatchObject({
      UserID: 42,
      OrgID: 1,
      OrgName: 'Main Org.',
      OrgRole: 'Editor',
      Login: 'eve',
      Name: 'Editor',
      Email: 'eve@example.org',
      IsGrafanaAdmin: false,
      IsAnonymous: false,
    });
    expect(Object.keys(ctx)).toEqual(expect.arrayContaining(['UserUID', 'IsServiceAccount', 'Teams']));
  });

  test('X-Grafana-User is dropped from the client and not sent by default', async () => {
    await call('GET', `${P}api/v1/status`, { 'X-Grafana-User': 'admin' });
    expect(seen[0]!.headers['x-grafana-user']).toBeUndefined();
  });

  test('X-Grafana-User carries the login when sendUserHeader is on, never the client copy', async () => {
    sendUserHeader = true;
    signedIn = user('Viewer', { login: 'vic' });
    await call('GET', `${P}api/v1/status`, { 'X-Grafana-User': 'admin' });
    expect(seen[0]!.headers['x-grafana-user']).toBe('vic');
  });

  test('answers are streamed: an SSE event arrives before the upstream ends', async () => {
    const u = new URL(grafana.url);
    const first = await new Promise<string>((resolve, reject) => {
      const req = http.get({ host: u.hostname, port: u.port, path: `${P}api/v1/stream` }, (res) => {
        res.once('data', (c: Buffer) => {
          resolve(c.toString());
          res.destroy();
        });
      });
      req.on('error', reject);
    });
    expect(first).toContain('data: {"n":1}');
    endStream();
  });
});
