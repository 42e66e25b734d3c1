import { asGrafana, startTestSidecar, type TestSidecar } from '../helpers/sidecar';

interface View {
  id: string;
  title: string;
  description: string;
  severity: string;
  status: string;
  assignee: string | null;
  due_at: string | null;
  overdue: boolean;
  tags: string[];
  component: string | null;
  roadmap_url: string | null;
  origin: string;
  created_by: string;
  created_at: string;
  updated_at: string;
  resolved_at: string | null;
  closed_at: string | null;
}

interface Detail extends View {
  comments: { id: number; author: string; body: string; kind: string }[];
  history: {
    actor: string;
    action: string;
    changes: Record<string, { from: unknown; to: unknown }>;
    note: string | null;
  }[];
  allowed_transitions: string[];
  can_reopen: boolean;
  estimate: { basis: string; sample_size: number } | null;
}

interface ErrorBody {
  error: { code: string; message: string; details: unknown };
}

describe('diagnostics API', () => {
  let t: TestSidecar;

  beforeEach(async () => {
    t = await startTestSidecar();
  });
  afterEach(async () => {
    await t.stop();
  });

  const create = async (body: Record<string, unknown>): Promise<View> => {
    const r = await t.call('POST', '/api/v1/diagnostics', { as: 'operator', body });
    expect(r.status).toBe(201);
    return r.body as View;
  };

  it('takes a diagnostic through its whole life, recording who changed what and when', async () => {
    const created = await create({
      title: 'Venue latency spikes at the open',
      description: 'p99 latency above 400 ms for the first five minutes',
      severity: 'critical',
      tags: ['latency', 'venue', 'latency'],
      component: 'order-router',
      roadmap_url: 'https://tracker.example.com/ROAD-12',
      due_at: '2030-01-10',
    });
    expect(created).toMatchObject({
      id: expect.stringMatching(/^D-\d+$/),
      status: 'open',
      severity: 'critical',
      tags: ['latency', 'venue'],
      due_at: '2030-01-10T00:00:00.000Z',
      overdue: false,
      origin: 'api',
      created_by: 'operator',
      assignee: null,
    });
    const id = created.id;

    const patched = await t.call('PATCH', `/api/v1/diagnostics/${id}`, {
      ...asGrafana({ login: 'alice', role: 'Editor' }),
      body: { severity: 'warning', description: 'only on Mondays' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ severity: 'warning', description: 'only on Mondays' });

    const assigned = await t.call('POST', `/api/v1/diagnostics/${id}/assign`, {
      as: 'operator',
      body: { assignee: 'bob', note: 'on call this week' },
    });
    expect((assigned.body as View).assignee).toBe('bob');

    const comment = await t.call('POST', `/api/v1/diagnostics/${id}/comments`, {
      as: 'operator',
      body: { body: 'Reproduced against the staging venue.' },
    });
    expect(comment.status).toBe(201);
    expect(comment.body).toMatchObject({
      author: 'operator',
      body: 'Reproduced against the staging venue.',
      kind: 'user',
    });

    for (const to of ['in_progress', 'resolved', 'closed']) {
      const r = await t.call('POST', `/api/v1/diagnostics/${id}/transition`, {
        as: 'operator',
        body: { to, note: `to ${to}` },
      });
      expect(r.status).toBe(200);
      expect((r.body as View).status).toBe(to);
    }
    const reopened = await t.call('POST', `/api/v1/diagnostics/${id}/reopen`, {
      as: 'operator',
      body: { note: 'came back' },
    });
    expect(reopened.status).toBe(200);
    expect(reopened.body).toMatchObject({ status: 'in_progress', resolved_at: null, closed_at: null });
    const resolved = await t.call('POST', `/api/v1/diagnostics/${id}/transition`, {
      as: 'operator',
      body: { to: 'resolved' },
    });
    expect((resolved.body as View).resolved_at).not.toBeNull();

    const detail = await t.call('GET', `/api/v1/diagnostics/${id}`, { as: 'viewer' });
    expect(detail.status).toBe(200);
    const d = detail.body as Detail;
    expect(d.status).toBe('resolved');
    expect(d.allowed_transitions).toEqual(['in_progress', 'closed']);
    expect(d.can_reopen).toBe(true);
    expect(d.estimate).toBeNull();
    expect(d.comments.map((c) => c.body)).toEqual(['Reproduced against the staging venue.']);
    expect(d.history.map((h) => [h.action, h.actor])).toEqual([
      ['created', 'operator'],
      ['updated', 'grafana:alice'],
      ['assigned', 'operator'],
      ['commented', 'operator'],
      ['transitioned', 'operator'],
      ['transitioned', 'operator'],
      ['transitioned', 'operator'],
      ['reopened', 'operator'],
      ['transitioned', 'operator'],
    ]);
    expect(d.history[1]!.changes).toEqual({
      severity: { from: 'critical', to: 'warning' },
      description: { from: 'p99 latency above 400 ms for the first five minutes', to: 'only on Mondays' },
    });
    expect(d.history[2]).toMatchObject({ changes: { assignee: { from: null, to: 'bob' } }, note: 'on call this week' });
    expect(d.history[7]!.changes['status']).toEqual({ from: 'closed', to: 'in_progress' });

    // Every step is an event in the diagnostics feed.
    const feed = await t.call('GET', '/api/v1/feeds/diagnostics?limit=50', { as: 'viewer' });
    const kinds = (feed.body as { items: { kind: string; subject: string }[] }).items
      .filter((e) => e.subject === id)
      .map((e) => e.kind)
      .reverse();
    expect(kinds).toEqual([
      'diagnostic.created',
      'diagnostic.updated',
      'diagnostic.assigned',
      'diagnostic.commented',
      'diagnostic.transitioned',
      'diagnostic.transitioned',
      'diagnostic.transitioned',
      'diagnostic.reopened',
      'diagnostic.transitioned',
    ]);

    // The resolutions are in the histogram, the diagnostic is no longer open.
    const metrics = await t.call('GET', '/metrics', { as: 'viewer' });
    const text = metrics.body as string;
    expect(text).toMatch(/lookout_diagnostics_resolution_seconds_count\{[^}]*severity="warning"[^}]*\} 2/);
    expect(text).toMatch(/lookout_diagnostics_open\{[^}]*severity="warning"[^}]*\} 0/);
  });

  it('counts open diagnostics by severity and overdue ones in the metrics', async () => {
    await create({ title: 'a', severity: 'critical' });
    await create({ title: 'b', severity: 'critical', due_at: '2020-01-01T00:00:00Z' });
    const c = await create({ title: 'c', severity: 'info' });
    await t.call('POST', `/api/v1/diagnostics/${c.id}/transition`, { as: 'operator', body: { to: 'closed' } });
    const text = (await t.call('GET', '/metrics', { as: 'viewer' })).body as string;
    expect(text).toMatch(/lookout_diagnostics_open\{[^}]*severity="critical"[^}]*\} 2/);
    expect(text).toMatch(/lookout_diagnostics_open\{[^}]*severity="info"[^}]*\} 0/);
    expect(text).toMatch(/lookout_diagnostics_overdue\{[^}]*\} 1/);
    const status = await t.call('GET', '/api/v1/status', { as: 'viewer' });
    expect((status.body as { diagnostics: unknown }).diagnostics).toEqual({
      open: { info: 0, warning: 0, critical: 2 },
      overdue: 1,
      webhook: 'off',
    });
  });

  it('refuses a move from closed straight to in_progress with 409 naming the allowed transitions', async () => {
    const d = await create({ title: 'flaky canary KPI export', severity: 'info' });
    await t.call('POST', `/api/v1/diagnostics/${d.id}/transition`, { as: 'operator', body: { to: 'closed' } });
    const r = await t.call('POST', `/api/v1/diagnostics/${d.id}/transition`, {
      as: 'operator',
      body: { to: 'in_progress' },
    });
    expect(r.status).toBe(409);
    const err = (r.body as ErrorBody).error;
    expect(err.code).toBe('invalid_transition');
    expect(err.details).toEqual({ from: 'closed', to: 'in_progress', allowed: [], reopen: true });
    // Nothing changed.
    const after = await t.call('GET', `/api/v1/diagnostics/${d.id}`, { as: 'viewer' });
    expect((after.body as View).status).toBe('closed');
  });

  it('refuses a move to the current status and a reopen of an open diagnostic with 409', async () => {
    const d = await create({ title: 'stale heartbeat on agent-3', severity: 'warning' });
    const same = await t.call('POST', `/api/v1/diagnostics/${d.id}/transition`, {
      as: 'operator',
      body: { to: 'open' },
    });
    expect(same.status).toBe(409);
    expect((same.body as ErrorBody).error.details).toEqual({
      from: 'open',
      to: 'open',
      allowed: ['in_progress', 'resolved', 'closed'],
      reopen: false,
    });
    const reopen = await t.call('POST', `/api/v1/diagnostics/${d.id}/reopen`, { as: 'operator', body: {} });
    expect(reopen.status).toBe(409);
    expect((reopen.body as ErrorBody).error.details).toMatchObject({ from: 'open', to: 'reopen', reopen: false });
  });

  it('answers bad fields with 400 and the path of every bad field', async () => {
    const r = await t.call('POST', '/api/v1/diagnostics', {
      as: 'operator',
      body: {
        title: '',
        severity: 'urgent',
        due_at: 'tomorrow',
        tags: ['ok', 'not ok'],
        roadmap_url: 'ftp://x',
        extra: 1,
      },
    });
    expect(r.status).toBe(400);
    const err = (r.body as ErrorBody).error;
    expect(err.code).toBe('invalid_request');
    const paths = (err.details as { path: string }[]).map((p) => p.path).sort();
    expect(paths).toEqual(
      expect.arrayContaining(['body.title', 'body.severity', 'body.due_at', 'body.tags.1', 'body.roadmap_url'])
    );
    expect(paths.some((p) => p === 'body' || p === 'body.extra')).toBe(true);

    const d = await create({ title: 'ok', severity: 'info' });
    const patch = await t.call('PATCH', `/api/v1/diagnostics/${d.id}`, { as: 'operator', body: { status: 'closed' } });
    expect(patch.status).toBe(400);
    const empty = await t.call('PATCH', `/api/v1/diagnostics/${d.id}`, { as: 'operator', body: {} });
    expect(empty.status).toBe(400);
    const badTo = await t.call('POST', `/api/v1/diagnostics/${d.id}/transition`, {
      as: 'operator',
      body: { to: 'done' },
    });
    expect(badTo.status).toBe(400);
    expect((badTo.body as ErrorBody).error.details).toEqual([expect.objectContaining({ path: 'body.to' })]);
    const badList = await t.call('GET', '/api/v1/diagnostics?status=pending&limit=0&sort=title', { as: 'viewer' });
    expect(badList.status).toBe(400);
    expect(((badList.body as ErrorBody).error.details as { path: string }[]).map((p) => p.path).sort()).toEqual([
      'query.limit',
      'query.sort',
      'query.status.0',
    ]);
    const badId = await t.call('GET', '/api/v1/diagnostics/D-x', { as: 'viewer' });
    expect(badId.status).toBe(400);
    expect((badId.body as ErrorBody).error.details).toEqual([expect.objectContaining({ path: 'params.id' })]);
    const badCursor = await t.call('GET', '/api/v1/diagnostics?cursor=bm90LWEtY3Vyc29y', { as: 'viewer' });
    expect(badCursor.status).toBe(400);
    expect((badCursor.body as ErrorBody).error.details).toEqual([expect.objectContaining({ path: 'query.cursor' })]);
  });

  it('answers 404 for a diagnostic that does not exist, on reads and writes', async () => {
    expect((await t.call('GET', '/api/v1/diagnostics/D-999', { as: 'viewer' })).status).toBe(404);
    expect((await t.call('PATCH', '/api/v1/diagnostics/999', { as: 'operator', body: { title: 'x' } })).status).toBe(
      404
    );
    expect(
      (await t.call('POST', '/api/v1/diagnostics/D-999/transition', { as: 'operator', body: { to: 'closed' } })).status
    ).toBe(404);
  });

  it('lets viewers read but not write, and wants a token for both', async () => {
    const d = await create({ title: 'readable', severity: 'info' });
    expect((await t.call('GET', `/api/v1/diagnostics/${d.id}`, { as: 'viewer' })).status).toBe(200);
    expect((await t.call('POST', '/api/v1/diagnostics', { as: 'viewer', body: { title: 'x' } })).status).toBe(403);
    expect(
      (await t.call('POST', `/api/v1/diagnostics/${d.id}/comments`, { as: 'viewer', body: { body: 'x' } })).status
    ).toBe(403);
    expect((await t.call('POST', '/api/v1/diagnostics', { as: 'agent', body: { title: 'x' } })).status).toBe(403);
    expect((await t.call('GET', '/api/v1/diagnostics', { as: null })).status).toBe(401);
  });
});
