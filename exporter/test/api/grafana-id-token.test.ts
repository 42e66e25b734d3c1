import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, type JWK, SignJWT, UnsecuredJWT, exportJWK, generateKeyPair } from 'jose';
import type { ConfigInput } from '../../src/config/config-schema';
import { type GrafanaUser, type TestSidecar, grafanaContext, startTestSidecar } from '../helpers/sidecar';

/**
 * X-Grafana-Id verification against keys this test makes, served the way Grafana serves them
 * (`/api/signing-keys/keys`, a JWKS) by a real local HTTP server on port 0.
 */

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function makeKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

/** Grafana's JWKS endpoint: the keys it publishes now, and how often it was asked. */
interface KeyServer {
  url: string;
  published: SigningKey[];
  fetches: number;
  failing: boolean;
  close(): Promise<void>;
}

async function startKeyServer(keys: SigningKey[]): Promise<KeyServer> {
  const ks: KeyServer = { url: '', published: keys, fetches: 0, failing: false, close: async () => undefined };
  const server = http.createServer((req, res) => {
    if (req.url !== '/api/signing-keys/keys') return void res.writeHead(404).end();
    ks.fetches++;
    if (ks.failing) return void res.writeHead(500).end('down');
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ keys: ks.published.map((k) => k.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ks.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ks.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return ks;
}

const ALICE: GrafanaUser = { login: 'alice', role: 'Editor', orgId: 1, userId: 42, userUid: 'ae3f1b' };

/** An ID token the way Grafana signs one for a user (idimpl: sub, aud org:<id>, namespace, username…). */
function idToken(
  key: SigningKey,
  over: { sub?: string; aud?: string; username?: string; namespace?: string; exp?: number | string } = {}
): Promise<string> {
  return new SignJWT({
    namespace: over.namespace ?? 'default',
    identifier: 'ae3f1b',
    type: 'user',
    authenticatedBy: 'password',
    email: 'alice@example.org',
    username: over.username ?? 'alice',
    name: 'Alice',
  })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'jwt' })
    .setIssuer('http://grafana.example')
    .setSubject(over.sub ?? 'user:ae3f1b')
    .setAudience(over.aud ?? 'org:1')
    .setIssuedAt()
    .setExpirationTime(over.exp ?? '10m')
    .sign(key.privateKey);
}

describe('X-Grafana-Id verification', () => {
  let keyA: SigningKey;
  let keyB: SigningKey;
  let ks: KeyServer;
  let t: TestSidecar;

  beforeAll(async () => {
    keyA = await makeKey('key-a');
    keyB = await makeKey('key-b');
  });
  const start = async (grafana: NonNullable<NonNullable<ConfigInput['http']>['grafana']> = {}): Promise<void> => {
    ks = await startKeyServer([keyA]);
    t = await startTestSidecar({ overrides: { http: { grafana: { url: ks.url, jwks_cooldown_ms: 0, ...grafana } } } });
  };
  afterEach(async () => {
    await t?.stop();
    await ks?.close();
  });

  const call = (token: string | null, user: GrafanaUser = ALICE) =>
    t.call('GET', '/api/v1/whoami', {
      as: 'grafana',
      headers: { 'x-grafana-context': grafanaContext(user), ...(token === null ? {} : { 'x-grafana-id': token }) },
    });
  const refusedWith = async (token: string | null, code: string, user?: GrafanaUser): Promise<string> => {
    const r = await call(token, user);
    const err = (r.body as { error?: { code: string; message: string } }).error;
    expect({ status: r.status, code: err?.code }).toEqual({ status: code === 'not_ready' ? 503 : 401, code });
    return err!.message;
  };

  test('a token signed by Grafana for the same user is verified', async () => {
    await start();
    const r = await call(await idToken(keyA));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ actor: 'grafana:alice', grafana: { id_token: 'verified' } });
    expect((r.body as { warnings: string[] }).warnings).toEqual([]);
  });

  test('an expired token is refused', async () => {
    await start();
    const expired = await idToken(keyA, { exp: Math.floor(Date.now() / 1000) - 3600 });
    expect(await refusedWith(expired, 'grafana_id_token_invalid')).toContain('expired');
  });

  test('a token signed with a key Grafana does not publish is refused, whatever kid it claims', async () => {
    await start();
    const impostor = await makeKey('key-a');
    expect(await refusedWith(await idToken(impostor), 'grafana_id_token_invalid')).toContain('signature');
    const unknown = await makeKey('key-z');
    await refusedWith(await idToken(unknown), 'grafana_id_token_invalid');
    await refusedWith(
      new UnsecuredJWT({ username: 'alice' }).setSubject('user:ae3f1b').encode(),
      'grafana_id_token_invalid'
    );
    await refusedWith('not.a.jwt', 'grafana_id_token_invalid');
  });

  test('a token for another subject, login or org than the context is refused', async () => {
    await start();
    expect(await refusedWith(await idToken(keyA, { sub: 'user:mallory' }), 'grafana_id_token_invalid')).toContain(
      'subject'
    );
    expect(await refusedWith(await idToken(keyA, { username: 'mallory' }), 'grafana_id_token_invalid')).toContain(
      'login'
    );
    await refusedWith(await idToken(keyA, { aud: 'org:2' }), 'grafana_id_token_invalid');
    await refusedWith(await idToken(keyA, { namespace: 'org-2' }), 'grafana_id_token_invalid');
    // The same token for the context it was made for is fine: the refusals above are the mismatch.
    expect((await call(await idToken(keyA))).status).toBe(200);
    // Alice's token with a context claiming someone else.
    await refusedWith(await idToken(keyA), 'grafana_id_token_invalid', { ...ALICE, login: 'bob', userUid: 'b0b' });
  });

  test('without require_id_token a missing token is allowed and reported; with it, refused', async () => {
    await start();
    const absent = await call(null);
    expect(absent.status).toBe(200);
    expect(absent.body).toMatchObject({ grafana: { id_token: 'absent' } });
    expect((absent.body as { warnings: string[] }).warnings).toEqual([expect.stringContaining('no X-Grafana-Id')]);
    await t.stop();
    await ks.close();
    await start({ require_id_token: true });
    await refusedWith(null, 'grafana_id_token_missing');
    const paused = await t.call('POST', '/api/v1/scheduler/pause', {
      as: 'grafana',
      headers: { 'x-grafana-context': grafanaContext(ALICE) },
      body: { reason: 'no id token' },
    });
    expect(paused.status).toBe(401);
    expect(t.sidecar.control.scheduler.isPaused()).toBe(false);
    expect((await call(await idToken(keyA))).status).toBe(200);
  });

  test('keys are fetched once and cached; a rotation is picked up on the new key id, and the retired key signs nothing new', async () => {
    await start();
    const before = await idToken(keyA);
    for (let i = 0; i < 3; i++) expect((await call(before)).status).toBe(200);
    expect(ks.fetches).toBe(1);
    // Grafana rotates: it now signs with key B and no longer publishes key A.
    ks.published = [keyB];
    const after = await idToken(keyB);
    expect((await call(after)).status).toBe(200);
    expect(ks.fetches).toBe(2);
    // A token signed with the retired key after the rotation is refused (one verified before stays
    // good until it expires, like any token Grafana issued).
    await refusedWith(await idToken(keyA, { username: 'alice' }), 'grafana_id_token_invalid');
  });

  test('when the keys cannot be fetched, nothing is taken on trust: 503, never 200', async () => {
    await start();
    ks.failing = true;
    expect(await refusedWith(await idToken(keyA), 'not_ready')).toContain('signing keys');
    ks.failing = false;
    expect((await call(await idToken(keyA))).status).toBe(200);
  });

  test('jwks_url takes precedence over the URL derived from http.grafana.url', async () => {
    ks = await startKeyServer([keyA]);
    t = await startTestSidecar({
      overrides: {
        http: { grafana: { url: 'http://127.0.0.1:9', jwks_url: `${ks.url}/api/signing-keys/keys` } },
      },
    });
    expect((await call(await idToken(keyA))).status).toBe(200);
  });
});
