import YAML from 'yaml';
import { type TestSidecar, startTestSidecar } from '../helpers/sidecar';
import { type StubPrometheus, startStubPrometheus } from '../helpers/stub-prometheus';
import { waitFor } from '../helpers/wait';
import { backtestResultSchema, backtestRunSchema } from '../../src/backtest';

const drift = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'drift_high',
  type: 'threshold',
  metric: 'drift_score',
  op: '>',
  value: 0.6,
  ...over,
});

interface ApiError {
  error: { code: string; message: string; details: unknown };
}

const errorOf = (body: unknown): ApiError['error'] => (body as ApiError).error;
const ago = (ms: number): string => new Date(Date.now() - ms).toISOString();

async function startWith(backtest: Record<string, unknown>): Promise<TestSidecar> {
  const t = await startTestSidecar({
    overrides: { guardian: { enabled: false, tick_ms: 1000, rules: [drift() as never] }, backtest },
  });
  expect(t.sidecar.ctx.telemetry.ingest({ metrics: { drift_score: 0.3 } }, 'api')).toMatchObject({ ok: true });
  return t;
}

describe('backtest API: bad input is refused with what to fix', () => {
  let t: TestSidecar;
  beforeAll(async () => {
    t = await startWith({ max_range: '40d' });
  });
  afterAll(async () => {
    await t.stop();
  });

  test('a range of years is refused with the limit', async () => {
    const r = await t.call('POST', '/api/v1/backtests', {
      as: 'operator',
      body: { from: '2020-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' },
    });
    expect(r.status).toBe(400);
    const e = errorOf(r.body);
    expect(e.code).toBe('backtest_range_too_long');
    expect(e.message).toBe('the range is 2192 days; the limit is 40 days (backtest.max_range)');
    expect(e.details).toMatchObject({ max_range_ms: 40 * 86_400_000, requested_ms: 2192 * 86_400_000 });
  });

  test('a range with more ticks than backtest.max_ticks is refused with that limit', async () => {
    const r = await t.call('POST', '/api/v1/backtests', {
      as: 'operator',
      body: { from: ago(30 * 86_400_000), tick_ms: 50 },
    });
    expect(r.status).toBe(400);
    expect(errorOf(r.body)).toMatchObject({ code: 'backtest_range_too_long', details: { max_ticks: 5_000_000 } });
    expect(errorOf(r.body).message).toContain('the limit is 5000000 ticks (backtest.max_ticks)');
  });

  test('an empty range is refused at its field', async () => {
    const r = await t.call('POST', '/api/v1/backtests', {
      as: 'operator',
      body: { from: ago(1000), to: ago(60_000) },
    });
    expect(r.status).toBe(400);
    expect(errorOf(r.body)).toMatchObject({
      code: 'invalid_request',
      details: [{ path: 'body.to', code: 'invalid_range' }],
    });
  });

  test('a rule reading an unknown signal is refused with its path and a suggestion', async () => {
    const one = await t.call('POST', '/api/v1/backtests', {
      as: 'operator',
      body: { from: ago(60_000), rule: drift({ metric: 'drift_scor' }) },
    });
    expect(one.status).toBe(400);
    expect(errorOf(one.body)).toMatchObject({
      code: 'backtest_unknown_signal',
      details: [
        {
          path: 'body.rule.metric',
          code: 'unknown_signal',
          message:
            'unknown signal drift_scor: not declared under signals and never received by this sidecar (did you mean drift_score?)',
        },
      ],
    });
    const policy = YAML.stringify({ guardian: { rules: [drift(), drift({ name: 'b', metric: 'nope' })] } });
    const two = await t.call('POST', '/api/v1/backtests', { as: 'operator', body: { from: ago(60_000), policy } });
    expect(two.status).toBe(400);
    expect(errorOf(two.body)).toMatchObject({
      code: 'backtest_unknown_signal',
      details: [{ path: 'guardian.rules.1.metric' }],
    });
  });

  test('an invalid rule, an invalid policy, both at once, or an unknown rule name are refused with their paths', async () => {
    const call = (body: Record<string, unknown>) =>
      t.call('POST', '/api/v1/backtests', { as: 'operator', body: { from: ago(60_000), ...body } });
    const rule = await call({ rule: drift({ op: '>>' }) });
    expect(rule.status).toBe(400);
    expect(errorOf(rule.body)).toMatchObject({ code: 'invalid_request', details: [{ path: 'body.rule.op' }] });
    const policy = await call({ policy: YAML.stringify({ guardian: { rules: [drift({ op: '>>' })] } }) });
    expect(policy.status).toBe(400);
    expect(errorOf(policy.body)).toMatchObject({ code: 'policy_invalid', details: [{ path: 'guardian.rules.0.op' }] });
    const both = await call({ rule: drift(), policy: 'guardian: {}' });
    expect(errorOf(both.body)).toMatchObject({ code: 'invalid_request', details: [{ path: 'body.rule' }] });
    const only = await call({ only: ['drift_high', 'nope'] });
    expect(errorOf(only.body)).toMatchObject({
      code: 'invalid_request',
      details: [{ path: 'body.only.1', code: 'unknown_rule' }],
    });
    const prom = await call({ source: 'prometheus' });
    expect(errorOf(prom.body)).toMatchObject({ code: 'invalid_request', details: [{ path: 'body.source' }] });
    const field = await call({ tick_ms: 10 });
    expect(errorOf(field.body)).toMatchObject({ code: 'invalid_request', details: [{ path: 'body.tick_ms' }] });
    expect(await t.call('GET', '/api/v1/backtests', { as: 'viewer' })).toMatchObject({ body: { items: [] } });
  });

  test('a viewer reads runs but may not start one; unknown and malformed ids are 404 and 400', async () => {
    expect((await t.call('POST', '/api/v1/backtests', { as: 'viewer', body: { from: ago(60_000) } })).status).toBe(403);
    const ok = await t.call('POST', '/api/v1/backtests', {
      as: 'operator',
      body: { from: ago(60_000), rule: drift() },
    });
    expect(ok.status).toBe(201);
    const run = ok.body as Record<string, unknown>;
    expect(run).toMatchObject({ status: 'succeeded', rules_from: 'rule', progress: 1, actor: 'operator' });
    const list = await t.call('GET', '/api/v1/backtests?limit=10', { as: 'viewer' });
    expect((list.body as { items: { id: string }[] }).items.map((i) => i.id)).toEqual([run['id']]);
    for (const item of (list.body as { items: unknown[] }).items)
      expect(backtestRunSchema.strict().safeParse(item).error).toBeUndefined();
    const result = await t.call('GET', `/api/v1/backtests/${String(run['id'])}/result`, { as: 'viewer' });
    expect(backtestResultSchema.strict().safeParse(result.body).error).toBeUndefined();
    expect((await t.call('GET', '/api/v1/backtests/01ARZ3NDEKTSV4RRFFQ69G5FAV', { as: 'viewer' })).status).toBe(404);
    expect((await t.call('GET', '/api/v1/backtests/nope', { as: 'viewer' })).status).toBe(400);
    const cancelDone = await t.call('POST', `/api/v1/backtests/${String(run['id'])}/cancel`, { as: 'operator' });
    expect(cancelDone.status).toBe(409);
    expect(errorOf(cancelDone.body).code).toBe('conflict');
  });
});

describe('backtest runs against a Prometheus that does not answer', () => {
  let held: StubPrometheus;
  let t: TestSidecar;
  beforeAll(async () => {
    held = await startStubPrometheus({ answer: 0, value: 0.9 });
    t = await startWith({ prometheus_url: held.url, prometheus_timeout_ms: 60_000, sync_wait_ms: 0 });
  });
  afterAll(async () => {
    await t.stop();
    await held.stop();
  });

  test('a second run while one runs is refused with 409; cancelling mid-run leaves no result', async () => {
    const first = await t.call('POST', '/api/v1/backtests', {
      as: 'operator',
      body: { from: ago(600_000), source: 'prometheus' },
    });
    expect(first.status).toBe(202);
    const id = String((first.body as { id: string }).id);
    expect(first.body).toMatchObject({ status: 'running', source: 'prometheus', progress: 0 });
    await waitFor(() => held.requests.length >= 1);
    const second = await t.call('POST', '/api/v1/backtests', { as: 'operator', body: { from: ago(60_000) } });
    expect(second.status).toBe(409);
    expect(errorOf(second.body)).toMatchObject({ code: 'backtest_busy', details: { running: id } });
    expect(second.headers.get('retry-after')).toBe('5');
    const early = await t.call('GET', `/api/v1/backtests/${id}/result`, { as: 'viewer' });
    expect(early.status).toBe(409);
    expect(errorOf(early.body)).toMatchObject({ code: 'backtest_no_result', details: { status: 'running' } });

    const cancelled = await t.call('POST', `/api/v1/backtests/${id}/cancel`, { as: 'operator' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id, status: 'cancelled', summary: null });
    const db = t.sidecar.ctx.db;
    expect(db.prepare('SELECT COUNT(*) FROM backtest_results').pluck().get()).toBe(0);
    expect(db.prepare('SELECT status, summary FROM backtest_runs WHERE id = ?').get(id)).toEqual({
      status: 'cancelled',
      summary: null,
    });
    const late = await t.call('GET', `/api/v1/backtests/${id}/result`, { as: 'viewer' });
    expect(errorOf(late.body)).toMatchObject({ code: 'backtest_no_result', details: { status: 'cancelled' } });
    // The slot is free again.
    const next = await t.call('POST', '/api/v1/backtests', { as: 'operator', body: { from: ago(60_000) } });
    expect(next.status === 201 || next.status === 202).toBe(true);
    const metrics = String((await t.call('GET', '/metrics', { as: 'viewer' })).body);
    expect(metrics).toMatch(/^lookout_backtest_runs_total\{outcome="cancelled",node="test-node"\} 1$/m);
  });
});

describe('backtest runs against a Prometheus that stops answering', () => {
  let stub: StubPrometheus;
  let t: TestSidecar;
  beforeAll(async () => {
    stub = await startStubPrometheus({ answer: 1, value: 0.9 });
    t = await startWith({ prometheus_url: stub.url, prometheus_timeout_ms: 500, prometheus_chunk_points: 10 });
  });
  afterAll(async () => {
    await t.stop();
    await stub.stop();
  });

  async function finished(id: string): Promise<Record<string, unknown>> {
    return waitFor(async () => {
      const r = await t.call('GET', `/api/v1/backtests/${id}`, { as: 'viewer' });
      const b = r.body as Record<string, unknown>;
      return b['status'] !== 'running' ? b : null;
    }, 20_000);
  }

  test('a slow Prometheus times out: the run ends partial, marked with the reason and how far it got', async () => {
    const from = Math.floor((Date.now() - 60_000) / 1000) * 1000;
    const r = await t.call('POST', '/api/v1/backtests', {
      as: 'operator',
      body: { from: new Date(from).toISOString(), source: 'prometheus' },
    });
    expect([201, 202]).toContain(r.status);
    const run = await finished(String((r.body as { id: string }).id));
    expect(run['status']).toBe('partial');
    expect(String(run['error'])).toContain('did not answer: no answer within 500 ms (backtest.prometheus_timeout_ms)');
    const res = await t.call('GET', `/api/v1/backtests/${String(run['id'])}/result`, { as: 'viewer' });
    const result = res.body as Record<string, unknown>;
    expect(result['partial']).toEqual({
      reason: run['error'],
      evaluated_until: new Date(from + 9000).toISOString(),
    });
    expect(result['summary']).toMatchObject({ partial: true });
    // What the first chunk showed was judged: drift 0.9 > 0.6 fired at the first tick.
    expect((result['fires'] as { rule: string; at: string }[]).map((f) => [f.rule, f.at])).toEqual([
      ['drift_high', new Date(from).toISOString()],
    ]);
    const q = stub.requests[0]!;
    expect(q.get('query')).toBe('lookout_workload_drift_score{node="test-node"}');
    expect(q.get('step')).toBe('1');
  });

  test('a Prometheus that is down ends the run partial with nothing evaluated', async () => {
    await stub.stop();
    const r = await t.call('POST', '/api/v1/backtests', {
      as: 'operator',
      body: { from: ago(30_000), source: 'prometheus' },
    });
    const run = await finished(String((r.body as { id: string }).id));
    expect(run['status']).toBe('partial');
    expect(String(run['error'])).toContain(`Prometheus at ${stub.url} did not answer`);
    const res = await t.call('GET', `/api/v1/backtests/${String(run['id'])}/result`, { as: 'viewer' });
    expect((res.body as { partial: unknown }).partial).toEqual({ reason: run['error'], evaluated_until: null });
  });
});
