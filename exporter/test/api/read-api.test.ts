import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { PNG } from 'pngjs';
import { asGrafana, startTestSidecar, type TestSidecar, TOKENS } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';
import { SseClient } from '../helpers/sse';

type Page = { items: Record<string, unknown>[]; next_cursor: string | null };

function png(w: number, h: number, seed: number): Buffer {
  const img = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) {
    img.data[i * 4] = (i * seed) % 256;
    img.data[i * 4 + 1] = (i + seed) % 256;
    img.data[i * 4 + 2] = 128;
    img.data[i * 4 + 3] = 255;
  }
  return PNG.sync.write(img);
}

function writeAtomic(file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file + '.tmp', content);
  fs.renameSync(file + '.tmp', file);
}

const lineageDoc = (generations: object[]) => JSON.stringify({ model: 'policy-x', generations });
const gen = (id: string, parent: string | null, status: string, created_at: string) => ({
  id,
  parent,
  status,
  created_at,
  kpis: { sharpe: 1.2 },
  artifacts: [],
});

describe('read API over a real workspace', () => {
  let t: TestSidecar;

  beforeEach(async () => {
    t = await startTestSidecar();
  });
  afterEach(async () => {
    await t.stop();
  });

  it('turns a file written to the workspace into an event in the activity feed and on the SSE stream', async () => {
    const sse = await SseClient.open(`${t.url}/api/v1/stream?feeds=activity`, {
      authorization: `Bearer ${TOKENS.viewer}`,
    });
    try {
      expect(sse.status).toBe(200);
      writeAtomic(
        path.join(t.workspace, 'activity/tasks/task-1.json'),
        JSON.stringify({ id: 't1', type: 'analyze', status: 'done', result: 'ok' })
      );
      const feed = await waitFor(async () => {
        const r = await t.call('GET', '/api/v1/feeds/activity', { as: 'viewer' });
        const items = (r.body as Page).items;
        return items.find((e) => String(e['subject']).includes('task-1.json'));
      });
      expect(feed['source']).toBe('watcher');
      const streamed = await waitFor(() => sse.json().find((e) => String(e['subject']).includes('task-1.json')));
      expect(streamed['id']).toBe(feed['id']);
      // The activity feed must not leak other sources onto this stream.
      expect(sse.json().every((e) => e['source'] === 'watcher' || e['source'] === 'workload')).toBe(true);
    } finally {
      await sse.close();
    }
  });

  it('serves lineage and the calibration gallery with content type, ETag and 304', async () => {
    writeAtomic(
      path.join(t.workspace, 'lineage/lineage_index.json'),
      lineageDoc([gen('g1', null, 'active', '2026-11-01T00:00:00Z')])
    );
    const image = png(8, 6, 3);
    writeAtomic(path.join(t.workspace, 'calibration/g1/reliability.png'), image);
    writeAtomic(
      path.join(t.workspace, 'calibration/g1/reliability.json'),
      JSON.stringify({ title: 'Reliability', metric: 'ece' })
    );
    const lineage = await waitFor(async () => {
      const r = await t.call('GET', '/api/v1/lineage', { as: 'viewer' });
      return (r.body as { active: string | null }).active === 'g1' ? (r.body as { model: string }) : null;
    });
    expect(lineage.model).toBe('policy-x');
    const item = await waitFor(async () => {
      const r = await t.call('GET', '/api/v1/artifacts/calibration?generation=g1', { as: 'viewer' });
      const it = (r.body as Page).items[0];
      return it && it['title'] === 'Reliability' ? it : null;
    });
    const res = await fetch(`${t.url}/${item['url'] as string}`, {
      headers: { authorization: `Bearer ${TOKENS.viewer}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const etag = res.headers.get('etag');
    expect(etag).toBeTruthy();
    expect(Buffer.from(await res.arrayBuffer()).equals(image)).toBe(true);
    const again = await fetch(`${t.url}/${item['url'] as string}`, {
      headers: { authorization: `Bearer ${TOKENS.viewer}`, 'if-none-match': etag! },
    });
    expect(again.status).toBe(304);
  });

  it('keeps the last good lineage when the file turns malformed, with an error event and a counter', async () => {
    const file = path.join(t.workspace, 'lineage/lineage_index.json');
    writeAtomic(file, lineageDoc([gen('g1', null, 'active', '2026-11-01T00:00:00Z')]));
    await waitFor(async () => ((await t.call('GET', '/api/v1/lineage')).body as { active: string }).active === 'g1');
    writeAtomic(file, '{"model": "policy-x", "generations": [ {"id": "g2", ');
    const err = await waitFor(async () => {
      const r = await t.call('GET', '/api/v1/feeds/all?kind=lineage.invalid');
      return (r.body as Page).items[0];
    });
    expect(err['severity']).toBe('warning');
    const lineage = (await t.call('GET', '/api/v1/lineage')).body as { active: string; generations: unknown[] };
    expect(lineage.active).toBe('g1');
    expect(lineage.generations).toHaveLength(1);
    const metrics = (await t.call('GET', '/metrics')).body as string;
    expect(metrics).toMatch(/lookout_watcher_errors_total\{[^}]*classifier="lineage"[^}]*\} [1-9]/);
  });

  it('refuses ../ and absolute paths on the image routes', async () => {
    writeAtomic(path.join(t.workspace, 'calibration/g1/a.png'), png(2, 2, 1));
    fs.writeFileSync(path.join(t.workspace, 'secret.txt'), 'top secret');
    for (const id of ['..%2F..%2Fsecret.txt', '..%2Fsecret.txt', '%2Fetc%2Fpasswd', '..']) {
      const r = await t.call('GET', `/api/v1/artifacts/calibration/${id}/image`, { as: 'viewer' });
      expect([400, 404]).toContain(r.status);
      expect(JSON.stringify(r.body)).not.toContain('top secret');
    }
    for (const file of ['../secret.txt', '../../etc/passwd', '/etc/passwd', 'g1/../../secret.txt']) {
      const r = await t.call('GET', `/artifacts/m15?file=${encodeURIComponent(file)}`, { as: 'viewer' });
      expect(r.status).toBe(400);
      expect((r.body as { error: { details: { path: string }[] } }).error.details[0]!.path).toBe('query.file');
    }
    // A symlink inside the root that points outside it is refused too.
    fs.symlinkSync(path.join(t.workspace, 'secret.txt'), path.join(t.workspace, 'calibration/g1/leak.png'));
    const r = await t.call('GET', `/artifacts/m15?file=${encodeURIComponent('g1/leak.png')}`, { as: 'viewer' });
    expect(r.status).toBe(400);
  });

  it('answers invalid query parameters with 400 and zod field paths', async () => {
    const r = await t.call('GET', '/api/v1/feeds/all?limit=0&severity=loud&since=yesterday', { as: 'viewer' });
    expect(r.status).toBe(400);
    const body = r.body as { error: { code: string; details: { path: string }[] } };
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.details.map((d) => d.path).sort()).toEqual(['query.limit', 'query.severity', 'query.since']);
    const unknownFeed = await t.call('GET', '/api/v1/feeds/nope', { as: 'viewer' });
    expect(unknownFeed.status).toBe(400);
    expect((unknownFeed.body as { error: { details: { path: string }[] } }).error.details[0]!.path).toBe('params.feed');
    const badCursor = await t.call('GET', '/api/v1/feeds/all?cursor=zzz', { as: 'viewer' });
    expect(badCursor.status).toBe(400);
    const badAt = await t.call('GET', '/api/v1/lineage?at=tomorrow', { as: 'viewer' });
    expect(badAt.status).toBe(400);
    const unknownParam = await t.call('GET', '/api/v1/feeds/all?limt=5', { as: 'viewer' });
    expect(unknownParam.status).toBe(400);
  });

  it('pages a feed with cursors without gaps or repeats, and filters by kind, severity and time', async () => {
    const before = new Date().toISOString();
    t.sidecar.ctx.events.appendMany(
      Array.from({ length: 250 }, (_, i) => ({
        source: 'api' as const,
        kind: i % 2 ? 'test.odd' : 'test.even',
        severity: i % 5 === 0 ? ('warning' as const) : ('info' as const),
        subject: `s${i}`,
      }))
    );
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const r = await t.call('GET', `/api/v1/feeds/all?source=api&limit=40${cursor ? `&cursor=${cursor}` : ''}`);
      const page = r.body as Page;
      seen.push(...page.items.map((e) => e['subject'] as string));
      cursor = page.next_cursor;
    }
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
    expect(seen[0]).toBe('s249');
    const odd = (await t.call('GET', '/api/v1/feeds/all?source=api&kind=test.odd&limit=500')).body as Page;
    expect(odd.items).toHaveLength(125);
    const warn = (await t.call('GET', '/api/v1/feeds/all?source=api&severity=warning&limit=500')).body as Page;
    expect(warn.items).toHaveLength(50);
    const prefix = (await t.call('GET', '/api/v1/feeds/all?source=api&kind=test.*&limit=500')).body as Page;
    expect(prefix.items).toHaveLength(250);
    const later = (await t.call('GET', `/api/v1/feeds/all?source=api&until=${encodeURIComponent(before)}`))
      .body as Page;
    expect(later.items).toHaveLength(0);
    const wrongSource = await t.call('GET', '/api/v1/feeds/guardian?source=watcher');
    expect(wrongSource.status).toBe(400);
  });

  it('requires a token everywhere but /healthz, and answers OpenMetrics by Accept header', async () => {
    expect((await t.call('GET', '/healthz', { as: null })).status).toBe(200);
    for (const route of [
      '/readyz',
      '/metrics',
      '/api/v1/status',
      '/status',
      '/api/v1/lineage',
      '/api/v1/feeds/all',
      '/api/v1/openapi.json',
    ]) {
      const r = await t.call('GET', route, { as: null });
      expect(r.status).toBe(401);
      expect((r.body as { error: { code: string } }).error.code).toBe('unauthenticated');
    }
    const wrong = await t.call('GET', '/api/v1/status', {
      as: null,
      headers: { authorization: 'Bearer nope-nope-nope' },
    });
    expect(wrong.status).toBe(401);
    const agentOnRead = await t.call('GET', '/api/v1/status', { as: 'agent' });
    expect(agentOnRead.status).toBe(403);
    // X-Grafana-User names nobody: only the grafana token's X-Grafana-Context does.
    const status = await t.call('GET', '/api/v1/status', { as: 'viewer', headers: { 'x-grafana-user': 'alice' } });
    expect(status.body).toMatchObject({
      node: 'test-node',
      auth: { actor: 'viewer', token: 'viewer', token_role: 'viewer', role: 'viewer', grafana_user: null },
    });
    const delegated = await t.call('GET', '/api/v1/status', asGrafana({ login: 'alice', role: 'Editor', orgId: 3 }));
    expect(delegated.body).toMatchObject({
      auth: {
        actor: 'grafana:alice',
        token: 'grafana',
        token_role: 'grafana',
        role: 'operator',
        grafana_user: 'alice',
        grafana_org_id: 3,
      },
    });
    const om = await fetch(`${t.url}/metrics`, {
      headers: { authorization: `Bearer ${TOKENS.viewer}`, accept: 'application/openmetrics-text; version=1.0.0' },
    });
    expect(om.headers.get('content-type')).toContain('application/openmetrics-text');
    expect(await om.text()).toMatch(/# EOF\s*$/);
    const text = await t.call('GET', '/metrics', { as: 'viewer' });
    expect(text.headers.get('content-type')).toContain('text/plain');
  });

  it('produces metrics that promtool check metrics accepts', async () => {
    writeAtomic(
      path.join(t.workspace, 'telemetry/snapshot.json'),
      JSON.stringify({
        ts: new Date().toISOString(),
        metrics: { drift_score: 0.2, state_active: 1 },
        labels: { model: 'm', generation: 'g1' },
      })
    );
    await waitFor(async () =>
      ((await t.call('GET', '/metrics')).body as string).includes('lookout_workload_drift_score')
    );
    const body = (await t.call('GET', '/metrics')).body as string;
    for (const name of [
      'lookout_build_info',
      'lookout_events_ingested_total',
      'lookout_http_requests_total',
      'lookout_store_size_bytes',
      'lookout_workload_state_active',
    ]) {
      expect(body).toContain(name);
    }
    // promtool prints lint problems and exits non-zero on them.
    execFileSync('promtool', ['check', 'metrics'], { input: body, stdio: ['pipe', 'pipe', 'pipe'] });
  });

  it('returns a 404 in the error shape for unknown routes and a 400 for a malformed JSON body', async () => {
    const r = await t.call('GET', '/api/v1/nothing-here', { as: 'viewer' });
    expect(r.status).toBe(404);
    expect((r.body as { error: { code: string } }).error.code).toBe('not_found');
    const bad = await fetch(`${t.url}/api/v1/status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.admin}`, 'content-type': 'application/json' },
      body: '{"oops":',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
  });
});
