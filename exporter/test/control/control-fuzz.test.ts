import { type ControlHarness, startControlHarness } from './control-harness';
import { TOKENS } from '../helpers/sidecar';

/** A tiny seeded PRNG so a failing case can be replayed from its index. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const ULID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
const NAMES = [
  'kill',
  'kill_release',
  'retrain',
  'canary_promote',
  'rollback',
  'flush_guardrails',
  'nope_action',
  'BAD NAME',
  '..',
  'x'.repeat(80),
  '%00',
];

/** Everything the control plane holds that a refused call must leave untouched. */
function fingerprint(h: ControlHarness): string {
  const db = h.t.sidecar.ctx.db;
  const one = (sql: string): unknown => db.prepare(sql).get();
  return JSON.stringify([
    one('SELECT COUNT(*) AS n FROM actions'),
    one('SELECT COUNT(*) AS n FROM action_plans'),
    one('SELECT COUNT(*) AS n FROM idempotency_keys'),
    one(
      "SELECT COUNT(*) AS n, group_concat(status || ':' || COALESCE(ack_note, '') || ':' || COALESCE(resolve_note, '')) AS s FROM incidents"
    ),
    one('SELECT COUNT(*) AS n FROM decisions'),
    one('SELECT COUNT(*) AS n FROM guardrails'),
    one('SELECT COUNT(*) AS n FROM cooldowns'),
    one('SELECT COUNT(*) AS n FROM lineage_pointer_moves'),
    one("SELECT group_concat(key || '=' || value) AS kv FROM kv WHERE key LIKE 'guardian:%' OR key LIKE 'scheduler:%'"),
    h.sim.getState().killed,
    h.sim.getState().active,
  ]);
}

function randomString(r: () => number, max = 40): string {
  const alphabet = 'abcXYZ019 _-./\\"\'{}[]:,\u0000\u00e9\u4e2d\ud83d\ude00<>$`;|&';
  const n = Math.floor(r() * max);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

function randomJson(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 2 ? 5 : 7));
  switch (k) {
    case 0:
      return Math.floor(r() * 1e6) - 5e5;
    case 1:
      return randomString(r);
    case 2:
      return r() < 0.5;
    case 3:
      return null;
    case 4:
      return r() * 1e300;
    case 5:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomJson(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < Math.floor(r() * 4); i++) o[randomString(r, 10)] = randomJson(r, depth + 1);
      return o;
    }
  }
}

/** One request that must be refused with a 4xx: every generator breaks at least one rule on purpose. */
function makeCase(r: () => number, incidentId: string): Case {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const name = pick(NAMES);
  const routes = [
    `/api/v1/actions/${name}/plan`,
    `/api/v1/actions/${name}/apply`,
    '/kill',
    '/retrain',
    '/canary_promote',
    '/flush_guardrails',
    `/api/v1/incidents/${pick([incidentId, ULID, 'not-an-id', randomString(r, 10).replace(/[/?#%]/g, '')])}/ack`,
    `/api/v1/incidents/${pick([incidentId, ULID])}/resolve`,
    '/api/v1/scheduler/pause',
    '/api/v1/scheduler/resume',
  ];
  const path = pick(routes);
  const op = `Bearer ${TOKENS.operator}`;
  const json = { 'content-type': 'application/json' };
  const kind = Math.floor(r() * 9);
  switch (kind) {
    case 0: // no or broken credentials
      return {
        method: 'POST',
        path,
        headers: {
          ...json,
          ...pick<Record<string, string>>([
            {},
            { authorization: 'Bearer ' + randomString(r, 30).replace(/[^\x21-\x7e]/g, 'q') },
            { authorization: 'Basic YWRtaW46YWRtaW4=' },
            { authorization: randomString(r, 20).replace(/[^\x20-\x7e]/g, '') },
          ]),
        },
        body: JSON.stringify(randomJson(r)),
      };
    case 1: // a viewer may not control anything
      return {
        method: 'POST',
        path,
        headers: { ...json, authorization: `Bearer ${TOKENS.viewer}` },
        body: JSON.stringify({ reason: 'valid reason here' }),
      };
    case 2: // malformed JSON
      return {
        method: 'POST',
        path,
        headers: { ...json, authorization: op },
        body:
          pick(['{', '{"reason":', '[1,2', '{"a":1,}', "{'reason':'x'}", '\u0000', '{"reason":"x"}}', 'nul']) +
          randomString(r, 5),
      };
    case 3: // JSON that is not an object
      return {
        method: 'POST',
        path,
        headers: { ...json, authorization: op },
        body: JSON.stringify(pick([[], [1], 42, 'reason', true, -1.5, [{ reason: 'abc' }]])),
      };
    case 4: {
      // an object with at least one unknown key
      const o: Record<string, unknown> = {};
      o[`zz_${Math.floor(r() * 1e9)}`] = randomJson(r);
      if (r() < 0.5) o['reason'] = 'a perfectly good reason';
      return { method: 'POST', path, headers: { ...json, authorization: op }, body: JSON.stringify(o) };
    }
    case 5: // known keys, wrong types or out of range
      return {
        method: 'POST',
        path,
        headers: { ...json, authorization: op, 'idempotency-key': 'fuzz-key' },
        body: JSON.stringify(
          pick([
            { reason: Math.floor(r() * 100) },
            { reason: pick(['', 'a', 'ab', '  ', 'x'.repeat(1001)]) },
            { plan_id: randomString(r, 30), reason: 7 },
            { params: pick([[], 'x', 1, { target: { nested: true } }, { 'Bad-Key': 1 }]) },
            { break_glass: pick(['yes', 1, null]) },
            { note: pick([1, [], {}]), reason: 'x'.repeat(1001) },
          ])
        ),
      };
    case 6: // apply a plan that does not exist (404), or with a broken Idempotency-Key (400)
      return {
        method: 'POST',
        path: `/api/v1/actions/${pick(NAMES.slice(0, 7))}/apply`,
        headers: {
          ...json,
          authorization: op,
          ...pick<Record<string, string>>([
            { 'idempotency-key': `fuzz-${Math.floor(r() * 1e9)}` },
            { 'idempotency-key': 'bad key with spaces' },
            { 'idempotency-key': 'k'.repeat(200) },
            {},
          ]),
        },
        body: JSON.stringify({ plan_id: ULID, reason: 'replaying nothing' }),
      };
    case 7: // a body the route ignores but with no reason where one is required
      return {
        method: 'POST',
        path: pick([
          '/kill',
          '/retrain',
          '/canary_promote',
          '/flush_guardrails',
          '/api/v1/scheduler/pause',
          '/api/v1/scheduler/resume',
        ]),
        headers: {
          authorization: op,
          'content-type': pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json']),
        },
        body: pick(['reason=because', 'because', '{}']),
      };
    default: // unknown action names and bad params
      return {
        method: 'POST',
        path: `/api/v1/actions/${pick(['nope_action', 'BAD NAME', 'x'.repeat(80), 'drop;table', '__proto__'])}/plan`,
        headers: { ...json, authorization: op, 'x-grafana-user': randomString(r, 300).replace(/[^\x20-\x7e]/g, '') },
        body: JSON.stringify({}),
      };
  }
}

describe('control-route fuzz', () => {
  let h: ControlHarness;
  beforeAll(async () => {
    h = await startControlHarness({ overrides: { http: { control_rate_limit_per_minute: 1_000_000 } } });
  });
  afterAll(async () => {
    await h.stop();
  });

  test('5,000 random and malformed requests get only 4xx answers, the process stays up and no state changes', async () => {
    const incident = h.t.sidecar.control.incidents.open({ rule: 'fuzz', severity: 'warning', title: 'stays open' });
    const before = fingerprint(h);
    const r = prng(20261121);
    const cases = Array.from({ length: 5000 }, () => makeCase(r, incident.id));
    const bad: { i: number; status: number; c: Case; body: string }[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const i = next++;
        if (i >= cases.length) return;
        const c = cases[i]!;
        const res = await fetch(h.t.url + c.path, { method: c.method, headers: c.headers, body: c.body });
        const text = await res.text();
        if (res.status < 400 || res.status >= 500) bad.push({ i, status: res.status, c, body: text.slice(0, 300) });
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(bad.slice(0, 5)).toEqual([]);
    expect((await h.t.call('GET', '/healthz', { as: null })).status).toBe(200);
    await h.t.sidecar.control.actions.settle();
    expect(fingerprint(h)).toBe(before);
  });
});
