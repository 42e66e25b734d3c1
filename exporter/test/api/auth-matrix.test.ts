import fs from 'node:fs';
import http from 'node:http';
import { rawRequest } from '../helpers/raw-http';
import { pool } from '../helpers/pool';
import path from 'node:path';
import { type GrafanaOrgRole, TOKENS, type TestSidecar, grafanaContext, startTestSidecar } from '../helpers/sidecar';

/**
 * The auth matrix, generated from the sidecar's own route table (`http.api.routes`): every route and
 * method × every kind of caller × every spelling of its path. The expected answer of each cell is
 * derived here, from the route's declared access and the documented role ranks below — never from
 * the code under test:
 *
 * - a non-canonical spelling (trailing or duplicate slash, `%2F`, `%2e%2e`, `..`, a %-encoded letter,
 *   a backslash) is 404 `not_found` (reason `non_canonical_path`) for everyone, before authentication;
 * - a case variant is routed case-sensitively: it is whatever route of the table it spells exactly
 *   (usually none: 404 `no_route`), never the route it resembles;
 * - `public` routes answer anyone; otherwise the caller's credentials decide: a refusal of its own
 *   (401, or 403 for a Grafana user without a usable org role), else its role against the access.
 */

type Role = 'viewer' | 'operator' | 'admin' | 'agent' | 'alertmanager';
const RANK: Record<'viewer' | 'operator' | 'admin', number> = { viewer: 1, operator: 2, admin: 3 };
/** The access levels docs/api.md documents; a route declaring anything else fails the first test. */
const DOCUMENTED_ACCESS = ['public', 'authenticated', 'viewer', 'operator', 'admin', 'agent', 'alertmanager'] as const;
type Access = (typeof DOCUMENTED_ACCESS)[number];

interface Refusal {
  status: number;
  code: string;
  reason?: string;
}
type Expected = { allowed: true } | { allowed: false; refusal: Refusal };
const ALLOWED: Expected = { allowed: true };
const refused = (status: number, code: string, reason?: string): Expected => ({
  allowed: false,
  refusal: { status, code, ...(reason ? { reason } : {}) },
});

interface Caller {
  name: string;
  headers: Record<string, string>;
  /** The role the caller acts with, or the refusal its credentials get on any protected route. */
  outcome: { role: Role } | { refusal: Expected };
}

const bearer = (secret: string): Record<string, string> => ({ authorization: `Bearer ${secret}` });
const delegated = (role: GrafanaOrgRole): Record<string, string> => ({
  ...bearer(TOKENS.grafana),
  'x-grafana-context': grafanaContext({ login: `matrix-${role.toLowerCase()}`, role }),
});

const CALLERS: Caller[] = [
  { name: 'no token', headers: {}, outcome: { refusal: refused(401, 'unauthenticated') } },
  {
    name: 'wrong token',
    headers: bearer('not-a-configured-token-0123456789'),
    outcome: { refusal: refused(401, 'unauthenticated') },
  },
  { name: 'viewer', headers: bearer(TOKENS.viewer), outcome: { role: 'viewer' } },
  { name: 'operator', headers: bearer(TOKENS.operator), outcome: { role: 'operator' } },
  { name: 'admin', headers: bearer(TOKENS.admin), outcome: { role: 'admin' } },
  { name: 'agent', headers: bearer(TOKENS.agent), outcome: { role: 'agent' } },
  { name: 'alertmanager', headers: bearer(TOKENS.alertmanager), outcome: { role: 'alertmanager' } },
  { name: 'grafana Viewer', headers: delegated('Viewer'), outcome: { role: 'viewer' } },
  { name: 'grafana Editor', headers: delegated('Editor'), outcome: { role: 'operator' } },
  { name: 'grafana Admin', headers: delegated('Admin'), outcome: { role: 'admin' } },
  { name: 'grafana None', headers: delegated('None'), outcome: { refusal: refused(403, 'grafana_role_refused') } },
  {
    name: 'grafana without context',
    headers: bearer(TOKENS.grafana),
    outcome: { refusal: refused(401, 'grafana_context_missing') },
  },
  {
    name: 'grafana with malformed context',
    headers: { ...bearer(TOKENS.grafana), 'x-grafana-context': '{"Login":"mallory","OrgRole":' },
    outcome: { refusal: refused(401, 'grafana_context_invalid') },
  },
  {
    name: 'viewer token with a forged Admin context',
    headers: { ...bearer(TOKENS.viewer), 'x-grafana-context': grafanaContext({ login: 'forger', role: 'Admin' }) },
    outcome: { role: 'viewer' },
  },
  {
    name: 'agent token with a forged Admin context',
    headers: { ...bearer(TOKENS.agent), 'x-grafana-context': grafanaContext({ login: 'forger', role: 'Admin' }) },
    outcome: { role: 'agent' },
  },
];

function expectedFor(access: Access, caller: Caller): Expected {
  if (access === 'public') return ALLOWED;
  if ('refusal' in caller.outcome) return caller.outcome.refusal;
  const role = caller.outcome.role;
  // docs/security.md: the alertmanager token is good for its webhook only, and the webhook takes only it.
  if (access === 'alertmanager' || role === 'alertmanager') {
    return access === 'alertmanager' && role === 'alertmanager' ? ALLOWED : refused(403, 'forbidden');
  }
  if (access === 'authenticated') return ALLOWED;
  if (access === 'agent') return role === 'agent' || RANK[role] >= RANK.operator ? ALLOWED : refused(403, 'forbidden');
  return role !== 'agent' && RANK[role] >= RANK[access] ? ALLOWED : refused(403, 'forbidden');
}

interface Route {
  method: string;
  path: string;
  access: string;
}

/** A concrete path for a route: values that pass routing but change nothing (unknown ids, names). */
function concrete(route: Route): string {
  return route.path.replace(/:([A-Za-z_]+)/g, (_m, name: string) => {
    if (name === 'feed') return 'all';
    if (name === 'name') return route.path.startsWith('/api/v1/actions/') ? 'matrix_probe' : 'agent-1';
    return '01ARZ3NDEKTSV4RRFFQ69G5FAV';
  });
}

/** Case-sensitive first match over the table, `:param` = one non-empty segment: how the table reads. */
function tableMatch(routes: readonly Route[], method: string, p: string): Route | null {
  const segs = p.split('/');
  for (const r of routes) {
    if (r.method.toUpperCase() !== method) continue;
    const rs = r.path.split('/');
    if (rs.length === segs.length && rs.every((s, i) => (s.startsWith(':') ? segs[i] !== '' : s === segs[i]))) {
      return r;
    }
  }
  return null;
}

interface Variant {
  name: string;
  path: string;
  /** Case variants are routed like any path; the others are refused as non-canonical. */
  kind: 'canonical' | 'case' | 'non_canonical';
}

function variantsOf(route: Route): Variant[] {
  const c = concrete(route);
  const segs = c.split('/');
  const staticIdx = route.path
    .split('/')
    .map((s, i) => (s !== '' && !s.startsWith(':') ? i : -1))
    .filter((i) => i >= 0);
  const last = staticIdx[staticIdx.length - 1]!;
  const withSeg = (i: number, v: string): string => segs.map((s, j) => (j === i ? v : s)).join('/');
  const lastSeg = segs[last]!;
  const lastSlash = c.lastIndexOf('/');
  // What stands before the last separator when it is spelled otherwise (`/%2Fhealthz`, `/api/v1%2Faudit`).
  const head = lastSlash === 0 ? '/' : c.slice(0, lastSlash);
  const hex = (ch: string): string => '%' + ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');
  return [
    { name: 'canonical', path: c, kind: 'canonical' },
    {
      name: 'upper case',
      path: segs.map((s, i) => (staticIdx.includes(i) ? s.toUpperCase() : s)).join('/'),
      kind: 'case',
    },
    { name: 'capitalized', path: withSeg(last, lastSeg[0]!.toUpperCase() + lastSeg.slice(1)), kind: 'case' },
    { name: 'trailing slash', path: c + '/', kind: 'non_canonical' },
    { name: 'duplicate slash', path: c.slice(0, lastSlash) + '/' + c.slice(lastSlash), kind: 'non_canonical' },
    { name: '%2F', path: head + '%2F' + c.slice(lastSlash + 1), kind: 'non_canonical' },
    { name: '%2e%2e', path: c.slice(0, lastSlash) + '/x/%2e%2e' + c.slice(lastSlash), kind: 'non_canonical' },
    { name: 'dot-dot', path: c.slice(0, lastSlash) + '/x/..' + c.slice(lastSlash), kind: 'non_canonical' },
    { name: '%-encoded letter', path: withSeg(last, hex(lastSeg[0]!) + lastSeg.slice(1)), kind: 'non_canonical' },
    { name: 'backslash', path: head + '\\' + c.slice(lastSlash + 1), kind: 'non_canonical' },
  ];
}

interface Answer {
  status: number;
  code: string | null;
  reason: string | null;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** One request of the matrix: a POST, PUT or PATCH carries `{}`; the answer's error code and reason. */
async function send(base: string, method: string, rawPath: string, headers: Record<string, string>): Promise<Answer> {
  const body = ['POST', 'PUT', 'PATCH'].includes(method) ? '{}' : undefined;
  const a = await rawRequest(base, {
    method,
    path: rawPath,
    agent,
    headers: body ? { ...headers, 'content-type': 'application/json' } : headers,
    body,
  });
  const err = (a.json as { error?: { code?: string; details?: { reason?: string } } } | null)?.error;
  return { status: a.status, code: err?.code ?? null, reason: err?.details?.reason ?? null };
}

/** Whether an answer is the expected one; allowed = neither an auth refusal nor a route miss. */
function judge(expected: Expected, a: Answer): boolean {
  if (expected.allowed) {
    const routeMiss = a.status === 404 && a.reason !== null;
    return a.status !== 401 && a.status !== 403 && a.status < 500 && !routeMiss;
  }
  const r = expected.refusal;
  return a.status === r.status && a.code === r.code && (r.reason === undefined || a.reason === r.reason);
}

describe('auth matrix generated from the route table', () => {
  let t: TestSidecar;
  let routes: Route[];

  beforeAll(async () => {
    // Many control calls per person: the limiter is tested elsewhere.
    t = await startTestSidecar({ overrides: { http: { control_rate_limit_per_minute: 1_000_000 } } });
    routes = t.sidecar.http.api.routes.map((r) => ({ method: r.method, path: r.path, access: r.access }));
  });
  afterAll(async () => {
    agent.destroy();
    await t.stop();
  });

  it('has a declared, documented access level on every route', () => {
    expect(routes.length).toBeGreaterThan(50);
    const undeclared = routes.filter((r) => !(DOCUMENTED_ACCESS as readonly string[]).includes(r.access));
    expect(undeclared).toEqual([]);
  });

  it("matches docs/api.md's access column for every route", () => {
    const md = fs.readFileSync(path.resolve(__dirname, '../../../docs/api.md'), 'utf8');
    const documented = new Map<string, string>();
    for (const line of md.split('\n')) {
      const m = /^\|\s*`((?:GET|POST|PUT|PATCH|DELETE) \/[^`]*)`\s*\|\s*([a-z]+)/.exec(line);
      if (m) documented.set(m[1]!, m[2]!);
    }
    const mismatches = routes
      .map((r) => ({ route: `${r.method.toUpperCase()} ${r.path}`, code: r.access }))
      .filter((r) => documented.get(r.route) !== r.code)
      .map((r) => `${r.route}: code says ${r.code}, api.md says ${documented.get(r.route) ?? '(missing)'}`);
    expect(mismatches).toEqual([]);
  });

  it('answers every route × caller × path spelling as documented', async () => {
    const base = t.url;
    const cells: { route: Route; caller: Caller; variant: Variant; expected: Expected }[] = [];
    for (const route of routes) {
      for (const variant of variantsOf(route)) {
        for (const caller of CALLERS) {
          let expected: Expected;
          if (variant.kind === 'non_canonical') expected = refused(404, 'not_found', 'non_canonical_path');
          else {
            const hit = tableMatch(routes, route.method.toUpperCase(), variant.path);
            expected = hit ? expectedFor(hit.access as Access, caller) : refused(404, 'not_found', 'no_route');
          }
          cells.push({ route, caller, variant, expected });
        }
      }
    }
    const failures: string[] = [];
    await pool(cells, 16, async ({ route, caller, variant, expected }) => {
      const method = route.method.toUpperCase();
      const a = await send(base, method, variant.path, caller.headers);
      if (!judge(expected, a)) {
        const want = expected.allowed
          ? 'allowed'
          : `${expected.refusal.status} ${expected.refusal.code}${expected.refusal.reason ? `/${expected.refusal.reason}` : ''}`;
        failures.push(
          `${method} ${variant.path} (${variant.name}) as ${caller.name}: want ${want}, got ${a.status} ${a.code ?? ''}${a.reason ? `/${a.reason}` : ''}`
        );
      }
    });
    expect(cells.length).toBe(routes.length * CALLERS.length * 10);
    expect(failures.sort()).toEqual([]);
    // The matrix changed nothing: every allowed control call was a probe (unknown ids, empty bodies).
    expect(t.sidecar.control.killSwitch.isEngaged()).toBe(false);
  });
});
