import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestSidecar, type TestSidecar } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';
import type { BusSubscription } from '../../src/bus/bus';

interface Notification {
  kind: string;
  event_id: string;
  node: string;
  actor: string | null;
  diagnostic: { id: string; title: string; assignee: string | null; due_at: string | null };
}

/** A real HTTP receiver for the webhook; answers each POST with the next status from `statuses`. */
async function webhookReceiver(statuses: number[] = [200]): Promise<{
  url: string;
  received: { headers: http.IncomingHttpHeaders; body: Notification }[];
  close(): Promise<void>;
}> {
  const received: { headers: http.IncomingHttpHeaders; body: Notification }[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Notification });
      res.statusCode = statuses[Math.min(n++, statuses.length - 1)]!;
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const metric = (text: string, name: string, label: string): number => {
  const m = new RegExp(`^${name}\\{[^}]*${label}[^}]*\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
};

describe('diagnostics notifications', () => {
  let t: TestSidecar | undefined;
  let hook: Awaited<ReturnType<typeof webhookReceiver>> | undefined;
  let sub: BusSubscription | undefined;
  let onBus: Notification[];

  afterEach(async () => {
    sub?.unsubscribe();
    await t?.stop();
    await hook?.close();
    t = undefined;
    hook = undefined;
  });

  const start = async (diagnostics: Record<string, unknown>): Promise<TestSidecar> => {
    t = await startTestSidecar({ overrides: { diagnostics } });
    onBus = [];
    sub = t.sidecar.ctx.bus.subscribe('lookout.diagnostics.test-node.>', (m) => {
      onBus.push({ ...(m.data as Notification), kind: `${m.subject}|${(m.data as Notification).kind}` });
    });
    return t;
  };

  it('on assignment, sends an event, a bus message and a webhook POST naming the assignee', async () => {
    hook = await webhookReceiver();
    const s = await start({ webhook_url: hook.url });
    const created = await s.call('POST', '/api/v1/diagnostics', {
      as: 'operator',
      body: { title: 'Replica lag', severity: 'warning' },
    });
    const id = (created.body as { id: string }).id;
    await s.call('POST', `/api/v1/diagnostics/${id}/assign`, { as: 'operator', body: { assignee: 'carol' } });

    await waitFor(() => hook!.received.length === 1 && onBus.length === 1);
    expect(onBus[0]).toMatchObject({
      kind: 'lookout.diagnostics.test-node.assigned|assigned',
      node: 'test-node',
      actor: 'operator',
      diagnostic: { id, title: 'Replica lag', assignee: 'carol' },
    });
    expect(hook.received[0]!.body).toMatchObject({ kind: 'assigned', diagnostic: { id, assignee: 'carol' } });
    expect(hook.received[0]!.headers['idempotency-key']).toBe(hook.received[0]!.body.event_id);
    const feed = await s.call('GET', `/api/v1/feeds/diagnostics?kind=diagnostic.assigned`, { as: 'viewer' });
    const events = (feed.body as { items: { id: string; subject: string; data: { assignee: string } }[] }).items;
    expect(events).toEqual([expect.objectContaining({ id: hook.received[0]!.body.event_id, subject: id })]);
    expect(events[0]!.data.assignee).toBe('carol');

    // Unassigning is recorded but notifies nobody; assigning someone else does.
    await s.call('POST', `/api/v1/diagnostics/${id}/assign`, { as: 'operator', body: { assignee: null } });
    await s.call('PATCH', `/api/v1/diagnostics/${id}`, { as: 'operator', body: { assignee: 'dave' } });
    await waitFor(() => hook!.received.length === 2);
    expect(hook.received.map((r) => r.body.diagnostic.assignee)).toEqual(['carol', 'dave']);
    const text = (await s.call('GET', '/metrics', { as: 'viewer' })).body as string;
    expect(metric(text, 'lookout_diagnostics_notifications_total', 'kind="assigned"')).toBe(2);
    expect(metric(text, 'lookout_diagnostics_webhook_deliveries_total', 'outcome="delivered"')).toBe(2);
  });

  it('notifies due soon and overdue once each, and again when the due date changes', async () => {
    const s = await start({ check_interval_ms: 100, due_soon_window_ms: 3600_000 });
    const mk = async (title: string, due_at: string): Promise<string> =>
      (
        (await s.call('POST', '/api/v1/diagnostics', { as: 'operator', body: { title, due_at } })).body as {
          id: string;
        }
      ).id;
    const soon = await mk('due in half an hour', new Date(Date.now() + 30 * 60_000).toISOString());
    const late = await mk('due years ago', '2020-01-01T00:00:00Z');
    const later = await mk('due in five hours', new Date(Date.now() + 5 * 3600_000).toISOString());
    // Closed first, then given a past due date: a closed diagnostic is never overdue.
    const done = (
      (await s.call('POST', '/api/v1/diagnostics', { as: 'operator', body: { title: 'closed' } })).body as {
        id: string;
      }
    ).id;
    await s.call('POST', `/api/v1/diagnostics/${done}/transition`, { as: 'operator', body: { to: 'closed' } });
    await s.call('PATCH', `/api/v1/diagnostics/${done}`, { as: 'operator', body: { due_at: '2020-01-01T00:00:00Z' } });

    // A probe: a diagnostic due in ten minutes, noticed by the next due-date check. Once its notice
    // is out, a check has run after everything before it.
    const probes: string[] = [];
    const probe = async (): Promise<void> => {
      const id = await mk('probe', new Date(Date.now() + 10 * 60_000).toISOString());
      probes.push(id);
      await waitFor(() => onBus.some((n) => n.diagnostic.id === id));
    };
    const notices = (): Notification[] => onBus.filter((n) => !probes.includes(n.diagnostic.id));

    await waitFor(() => onBus.length >= 2);
    // Two more checks run; nothing is sent twice.
    await probe();
    await probe();
    const seen = notices()
      .map((n) => `${n.diagnostic.id}:${n.kind.split('|')[1]}`)
      .sort();
    expect(seen).toEqual([`${late}:overdue`, `${soon}:due_soon`].sort());
    expect(seen.some((x) => x.startsWith(`${later}:`) || x.startsWith(`${done}:`))).toBe(false);

    // A new due date in the past: the diagnostic is overdue for that date and says so once.
    await s.call('PATCH', `/api/v1/diagnostics/${soon}`, { as: 'operator', body: { due_at: '2021-06-01T00:00:00Z' } });
    await waitFor(() => notices().length === 3);
    await probe();
    expect(notices()).toHaveLength(3);
    expect(notices()[2]).toMatchObject({
      kind: 'lookout.diagnostics.test-node.overdue|overdue',
      diagnostic: { id: soon },
    });

    const feed = await s.call('GET', '/api/v1/feeds/diagnostics?kind=diagnostic.overdue', { as: 'viewer' });
    const overdue = (feed.body as { items: { subject: string; severity: string }[] }).items;
    expect(overdue.map((e) => e.subject).sort()).toEqual([late, soon].sort());
    expect(overdue.every((e) => e.severity === 'warning')).toBe(true);
    const text = (await s.call('GET', '/metrics', { as: 'viewer' })).body as string;
    expect(metric(text, 'lookout_diagnostics_notifications_total', 'kind="overdue"')).toBe(2);
    expect(metric(text, 'lookout_diagnostics_notifications_total', 'kind="due_soon"')).toBe(1 + probes.length);
  });

  it('retries a failing webhook a bounded number of times, counts the failure and keeps working', async () => {
    hook = await webhookReceiver([500, 503, 502, 200]);
    const s = await start({ webhook_url: hook.url, webhook_retries: 2, webhook_retry_backoff_ms: 10 });
    await s.call('POST', '/api/v1/diagnostics', { as: 'operator', body: { title: 'x', assignee: 'alice' } });
    await waitFor(async () => {
      const text = (await s.call('GET', '/metrics', { as: 'viewer' })).body as string;
      return metric(text, 'lookout_diagnostics_webhook_deliveries_total', 'outcome="failed"') === 1;
    });
    // One attempt and two retries, all refused; the fourth answer (200) is never asked for.
    expect(hook.received).toHaveLength(3);
    expect(new Set(hook.received.map((r) => r.body.event_id)).size).toBe(1);
    // The write itself succeeded, and the next notification goes out.
    const list = await s.call('GET', '/api/v1/diagnostics?assignee=alice', { as: 'viewer' });
    expect((list.body as { items: unknown[] }).items).toHaveLength(1);
    await s.call('POST', '/api/v1/diagnostics', { as: 'operator', body: { title: 'y', assignee: 'bob' } });
    await waitFor(() => hook!.received.length === 4);
    await waitFor(async () => {
      const text = (await s.call('GET', '/metrics', { as: 'viewer' })).body as string;
      return metric(text, 'lookout_diagnostics_webhook_deliveries_total', 'outcome="delivered"') === 1;
    });
  });

  it('does not retry a webhook that rejects the payload with a 4xx, nor fail on an unreachable one', async () => {
    hook = await webhookReceiver([400]);
    const s = await start({ webhook_url: hook.url, webhook_retries: 3, webhook_retry_backoff_ms: 10 });
    await s.call('POST', '/api/v1/diagnostics', { as: 'operator', body: { title: 'x', assignee: 'alice' } });
    await waitFor(async () => {
      const text = (await s.call('GET', '/metrics', { as: 'viewer' })).body as string;
      return metric(text, 'lookout_diagnostics_webhook_deliveries_total', 'outcome="failed"') === 1;
    });
    // "failed" is counted after the last attempt answered, so every attempt is in by now: just one.
    expect(hook.received).toHaveLength(1);
    await s.stop();
    await hook.close();

    // A port nobody listens on: connection refused on every attempt.
    const gone = await webhookReceiver();
    const url = gone.url;
    await gone.close();
    hook = undefined;
    const s2 = await start({
      webhook_url: url,
      webhook_retries: 1,
      webhook_retry_backoff_ms: 10,
      webhook_timeout_ms: 500,
    });
    const r = await s2.call('POST', '/api/v1/diagnostics', { as: 'operator', body: { title: 'x', assignee: 'alice' } });
    expect(r.status).toBe(201);
    await waitFor(async () => {
      const text = (await s2.call('GET', '/metrics', { as: 'viewer' })).body as string;
      return metric(text, 'lookout_diagnostics_webhook_deliveries_total', 'outcome="failed"') === 1;
    });
  });
});
