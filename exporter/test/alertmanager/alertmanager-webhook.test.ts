import { webhookNotificationSchema } from '../../src/alertmanager';
import { type TestSidecar, startTestSidecar } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';

const WEBHOOK = '/api/v1/alertmanager/webhook';

interface Alert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** A notification as Alertmanager 0.25+ sends it (notify/webhook Message, version 4). */
function notification(alerts: Alert[], status: 'firing' | 'resolved' = alerts[0]!.status): Record<string, unknown> {
  const body = {
    receiver: 'lookout-sidecar',
    status,
    alerts,
    groupLabels: { alertname: alerts[0]!.labels['alertname']!, node: 'n1' },
    commonLabels: alerts[0]!.labels,
    commonAnnotations: alerts[0]!.annotations,
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey: '{}/{component!="control"}:{alertname="LookoutDriftHigh", node="n1"}',
    truncatedAlerts: 0,
  };
  // The fixture is the documented payload: it must pass the sidecar's own schema.
  webhookNotificationSchema.parse(body);
  return body;
}

function alert(over: Partial<Alert> & { labels?: Record<string, string> } = {}): Alert {
  return {
    status: 'firing',
    labels: { alertname: 'LookoutDriftHigh', severity: 'warning', component: 'workload', node: 'n1', ...over.labels },
    annotations: {
      summary: 'Model drift high on n1: 0.95',
      description: 'drift above 0.6 for 10 minutes',
      runbook_url: 'https://github.com/lookout-dev/lookout/blob/main/docs/runbooks/lookout-drift-high.md',
    },
    startsAt: '2026-03-01T10:00:00.123456789Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph?g0.expr=x',
    fingerprint: 'c0ffee0123456789',
    ...over,
    ...(over.labels ? { labels: { alertname: 'LookoutDriftHigh', severity: 'warning', ...over.labels } } : {}),
  };
}

describe('the Alertmanager webhook', () => {
  let t: TestSidecar;
  beforeEach(async () => {
    t = await startTestSidecar({ overrides: { alertmanager: { open_diagnostic: 'critical' } } });
  });
  afterEach(async () => {
    await t.stop();
  });

  const post = (body: unknown, as: Parameters<TestSidecar['call']>[2] = { as: 'alertmanager' }) =>
    t.call('POST', WEBHOOK, { ...as, body });
  const incidents = async (): Promise<
    { id: string; rule: string; status: string; severity: string; title: string; data: Record<string, unknown> }[]
  > => ((await t.call('GET', '/api/v1/incidents', { as: 'viewer' })).body as { items: never[] }).items;

  it('a firing alert opens an incident; the resolved notification resolves it', async () => {
    const fired = await post(notification([alert()]));
    expect(fired.status).toBe(200);
    const [inc] = await incidents();
    expect(fired.body).toEqual({ received: 1, opened: [inc!.id], updated: [], resolved: [], unchanged: 0, ignored: 0 });
    expect(inc).toMatchObject({
      rule: 'alertmanager:LookoutDriftHigh',
      severity: 'warning',
      status: 'open',
      title: 'Model drift high on n1: 0.95',
      data: {
        source: 'alertmanager',
        runbook: 'https://github.com/lookout-dev/lookout/blob/main/docs/runbooks/lookout-drift-high.md',
        alert: {
          fingerprint: 'c0ffee0123456789',
          receiver: 'lookout-sidecar',
          starts_at: '2026-03-01T10:00:00.123456789Z',
        },
      },
    });
    const opened = t.sidecar.ctx.events.query({ kinds: ['incident.opened'], limit: 5 });
    expect(opened).toHaveLength(1);
    expect(opened[0]!.actor).toBe('alertmanager');

    const resolved = await post(
      notification([alert({ status: 'resolved', endsAt: '2026-03-01T10:20:00Z' })], 'resolved')
    );
    expect(resolved.body).toMatchObject({ resolved: [inc!.id], opened: [] });
    const [after] = await incidents();
    expect(after).toMatchObject({
      status: 'resolved',
      resolved_by: 'alertmanager',
      resolve_note: 'resolved in Alertmanager at 2026-03-01T10:20:00Z',
    });
  });

  it('a replayed or repeated notification changes nothing; changed annotations update the incident', async () => {
    const body = notification([alert()]);
    await post(body);
    const eventsBefore = t.sidecar.ctx.events.repo.count();
    for (let i = 0; i < 3; i++) {
      const again = await post(body);
      expect(again.body).toMatchObject({ opened: [], updated: [], unchanged: 1 });
    }
    expect(await incidents()).toHaveLength(1);
    expect(t.sidecar.ctx.events.repo.count()).toBe(eventsBefore);

    const changed = alert();
    changed.annotations = { ...changed.annotations, summary: 'Model drift high on n1: 0.99' };
    const upd = await post(notification([changed]));
    const [inc] = await incidents();
    expect(upd.body).toMatchObject({ updated: [inc!.id] });
    expect((inc!.data['alert'] as { annotations: { summary: string } }).annotations.summary).toBe(
      'Model drift high on n1: 0.99'
    );
    expect(t.sidecar.ctx.events.query({ kinds: ['incident.updated'], limit: 5 })).toHaveLength(1);

    // Resolved twice (Alertmanager retries): the second one is a no-op.
    const res = notification([alert({ status: 'resolved', endsAt: '2026-03-01T10:20:00Z' })], 'resolved');
    expect((await post(res)).body).toMatchObject({ resolved: [inc!.id] });
    expect((await post(res)).body).toMatchObject({ resolved: [], unchanged: 1 });
    // The same alert firing again later is a new episode (new startsAt): a new incident.
    const again = await post(notification([alert({ startsAt: '2026-03-01T11:00:00Z' })]));
    expect((again.body as { opened: string[] }).opened).toHaveLength(1);
    expect(await incidents()).toHaveLength(2);
  });

  it('a group of alerts is handled alert by alert; critical ones open a diagnostic where configured', async () => {
    const r = await post(
      notification([
        alert({ fingerprint: 'aa01', labels: { node: 'n1', severity: 'critical' } }),
        alert({ fingerprint: 'aa02', labels: { node: 'n2' } }),
        alert({ fingerprint: 'aa03', labels: { alertname: 'LookoutCriticalIncidentOpen', severity: 'critical' } }),
      ])
    );
    expect(r.body).toMatchObject({ received: 3, unchanged: 0, ignored: 1 });
    expect((r.body as { opened: string[] }).opened).toHaveLength(2);
    const critical = (await incidents()).find((i) => i.severity === 'critical')!;
    const diagnosticId = await waitFor(async () => {
      const linked = await t.call('GET', `/api/v1/incidents/${critical.id}`, { as: 'viewer' });
      return (linked.body as { diagnostic_id: string | null }).diagnostic_id;
    });
    const diagnostics = (await t.call('GET', '/api/v1/diagnostics', { as: 'viewer' })).body as {
      items: { id: string }[];
    };
    // Only the critical alert opened one.
    expect(diagnostics.items.map((d) => d.id)).toEqual([diagnosticId]);
  });

  it('refuses a forged notification: no token, a wrong one, another role, or a malformed body', async () => {
    const body = notification([alert()]);
    expect((await post(body, { as: null })).status).toBe(401);
    expect(
      (
        await t.call('POST', WEBHOOK, {
          as: null,
          body,
          headers: { authorization: 'Bearer alertmanager-secret-guess-0000' },
        })
      ).status
    ).toBe(401);
    for (const as of ['viewer', 'operator', 'admin', 'agent'] as const) {
      expect([as, (await post(body, { as })).status]).toEqual([as, 403]);
    }
    // The alertmanager token is good for nothing else.
    expect((await t.call('GET', '/api/v1/status', { as: 'alertmanager' })).status).toBe(403);
    expect((await t.call('GET', '/api/v1/whoami', { as: 'alertmanager' })).status).toBe(403);

    const bad = await post({ ...body, version: '3', alerts: [{ ...alert(), fingerprint: 'not hex!', labels: {} }] });
    expect(bad.status).toBe(400);
    const details = (bad.body as { error: { details: { path: string }[] } }).error.details.map((d) => d.path);
    expect(details).toEqual(
      expect.arrayContaining(['body.version', 'body.alerts.0.fingerprint', 'body.alerts.0.labels'])
    );
    const notJson = await t.call('POST', WEBHOOK, {
      as: 'alertmanager',
      raw: 'alerts=1',
      headers: { 'content-type': 'text/plain' },
    });
    expect(notJson.status).toBe(415);
    expect(await incidents()).toEqual([]);
    // Every call, refused ones included, is audited: 2 unauthenticated, 4 forbidden, 2 bad bodies.
    const audit = t.sidecar.control.audit.query({ action: 'alertmanager.webhook', limit: 50 });
    expect(audit.map((a) => a.status).sort()).toEqual([400, 401, 401, 403, 403, 403, 403, 415]);
  });
});
