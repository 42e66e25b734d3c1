import fs from 'node:fs';
import path from 'node:path';
import { asGrafana, startTestSidecar, tempDir, makeWorkspace, type TestSidecar } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';
import { loadConfig } from '../../src/config/load-config';
import { buildContext } from '../../src/main';
import { createLogger } from '../../src/log/logger';

interface Detail {
  id: string;
  title: string;
  severity: string;
  status: string;
  origin: string;
  rule: string | null;
  node: string | null;
  tags: string[];
  comments: { author: string; body: string; kind: string }[];
  history: { action: string; actor: string; note: string | null }[];
  incidents: {
    incident_id: string;
    rule: string;
    resolved_at: string | null;
    resolved_by: string | null;
    resolution_note: string | null;
  }[];
}

interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

const guardianDiagnostics = async (t: TestSidecar): Promise<{ id: string }[]> =>
  ((await t.call('GET', '/api/v1/diagnostics?tag=guardian&limit=100', { as: 'viewer' })).body as Page<{ id: string }>)
    .items;

const detail = async (t: TestSidecar, id: string): Promise<Detail> =>
  (await t.call('GET', `/api/v1/diagnostics/${id}`, { as: 'viewer' })).body as Detail;

describe('guardian incidents and diagnostics, with the real guardian', () => {
  let t: TestSidecar;

  afterEach(async () => {
    await t?.stop();
  });

  it('a threshold rule with open_diagnostic opens a linked diagnostic, and resolving the incident notes it there', async () => {
    t = await startTestSidecar({
      overrides: {
        guardian: {
          tick_ms: 100,
          rules: [
            {
              name: 'drift_high',
              type: 'threshold',
              title: 'Drift above 0.5',
              metric: 'drift_score',
              op: '>',
              value: 0.5,
              severity: 'critical',
              open_diagnostic: true,
            },
          ],
        },
      },
    });
    fs.writeFileSync(
      path.join(t.workspace, 'telemetry', 'snapshot.json'),
      JSON.stringify({ ts: new Date().toISOString(), metrics: { drift_score: 0.93 }, labels: {} })
    );

    const incident = await waitFor(async () => {
      const r = await t.call('GET', '/api/v1/incidents?status=open', { as: 'viewer' });
      return (r.body as Page<{ id: string; rule: string }>).items.find((i) => i.rule === 'drift_high');
    });
    const [diag] = await waitFor(async () => {
      const list = await guardianDiagnostics(t);
      return list.length ? list : null;
    });
    let d = await detail(t, diag!.id);
    expect(d).toMatchObject({
      title: 'Drift above 0.5',
      severity: 'critical',
      status: 'open',
      origin: 'guardian',
      rule: 'drift_high',
      node: 'test-node',
      tags: ['guardian', 'rule:drift_high'],
    });
    expect(d.incidents).toEqual([
      expect.objectContaining({ incident_id: incident.id, rule: 'drift_high', resolved_at: null }),
    ]);
    // The incident API links back to its diagnostic.
    const linked = await t.call('GET', `/api/v1/incidents/${incident.id}`, { as: 'viewer' });
    expect((linked.body as { diagnostic_id: string | null }).diagnostic_id).toBe(diag!.id);

    const resolved = await t.call('POST', `/api/v1/incidents/${incident.id}/resolve`, {
      ...asGrafana({ login: 'erin', role: 'Editor' }),
      body: { note: 'feature pipeline restarted' },
    });
    expect(resolved.status).toBe(200);
    d = await waitFor(async () => {
      const x = await detail(t, diag!.id);
      return x.incidents[0]?.resolved_at ? x : null;
    });
    expect(d.incidents[0]).toMatchObject({
      resolved_by: 'grafana:erin',
      resolution_note: 'feature pipeline restarted',
    });
    expect(d.comments.at(-1)).toMatchObject({
      kind: 'system',
      body: `Incident ${incident.id} was resolved by grafana:erin: feature pipeline restarted`,
    });
    expect(d.history.at(-1)).toMatchObject({ action: 'incident_resolved', actor: 'grafana:erin' });
    // The problem behind the incident is still for people to close.
    expect(d.status).toBe('open');
    // Only one diagnostic for the one incident.
    expect(await guardianDiagnostics(t)).toHaveLength(1);
  });
});

/**
 * The same events the guardian emits, appended through ctx.events.append: these cover the cases
 * the real guardian cannot be driven into quickly (repeat incidents while a diagnostic is open,
 * replays, restarts).
 */
describe('guardian incident events appended directly', () => {
  let t: TestSidecar;

  afterEach(async () => {
    await t?.stop();
  });

  const opened = (t: TestSidecar, incident_id: string, extra: Record<string, unknown> = {}): void => {
    t.sidecar.ctx.events.append({
      source: 'guardian',
      kind: 'incident.opened',
      severity: 'warning',
      subject: incident_id,
      data: {
        incident_id,
        rule: 'venue_latency',
        node: 'test-node',
        severity: 'warning',
        title: 'Venue latency high',
        open_diagnostic: true,
        ...extra,
      },
    });
  };
  const resolvedEvt = (t: TestSidecar, incident_id: string, note: string): void => {
    t.sidecar.ctx.events.append({
      source: 'guardian',
      kind: 'incident.resolved',
      subject: incident_id,
      actor: 'operator',
      data: { incident_id, rule: 'venue_latency', actor: 'operator', note },
    });
  };

  it('links a repeat incident of the same rule and node to the open diagnostic instead of opening another', async () => {
    t = await startTestSidecar();
    opened(t, 'inc-1');
    opened(t, 'inc-2', { severity: 'critical' });
    opened(t, 'inc-2'); // a replay of the same event
    opened(t, 'inc-3', { node: 'other-node' });
    opened(t, 'inc-4', { open_diagnostic: false });

    const list = await guardianDiagnostics(t);
    expect(list).toHaveLength(2);
    const byNode = await Promise.all(list.map((x) => detail(t, x.id)));
    const here = byNode.find((x) => x.node === 'test-node')!;
    expect(here.incidents.map((i) => i.incident_id)).toEqual(['inc-1', 'inc-2']);
    // The repeat came in as critical: the diagnostic is raised, never lowered.
    expect(here.severity).toBe('critical');
    expect(here.history.map((h) => h.action)).toEqual(['created', 'incident_linked']);
    expect(here.comments).toEqual([expect.objectContaining({ kind: 'system', author: 'guardian' })]);
    expect(byNode.find((x) => x.node === 'other-node')!.incidents.map((i) => i.incident_id)).toEqual(['inc-3']);

    // Once the diagnostic is resolved, the next incident of that rule opens a new one.
    await t.call('POST', `/api/v1/diagnostics/${here.id}/transition`, { as: 'operator', body: { to: 'resolved' } });
    opened(t, 'inc-5');
    const after = await guardianDiagnostics(t);
    expect(after).toHaveLength(3);
    const fresh = await detail(t, after[0]!.id);
    expect(fresh.incidents.map((i) => i.incident_id)).toEqual(['inc-5']);
    expect(fresh.id).not.toBe(here.id);
  });

  it('notes each incident resolution once, and ignores incidents it never linked', async () => {
    t = await startTestSidecar();
    opened(t, 'inc-1');
    resolvedEvt(t, 'inc-1', 'venue failover');
    resolvedEvt(t, 'inc-1', 'venue failover');
    resolvedEvt(t, 'inc-unknown', 'nothing to see');
    const [d] = await guardianDiagnostics(t);
    const x = await detail(t, d!.id);
    expect(x.incidents[0]).toMatchObject({ resolved_by: 'operator', resolution_note: 'venue failover' });
    expect(x.comments.filter((c) => c.body.includes('was resolved'))).toHaveLength(1);
  });

  it('skips an incident event without the fields it needs, without failing the append', async () => {
    t = await startTestSidecar();
    const stored = t.sidecar.ctx.events.append({
      source: 'guardian',
      kind: 'incident.opened',
      data: { open_diagnostic: true },
    });
    expect(stored.id).toBeTruthy();
    expect(await guardianDiagnostics(t)).toHaveLength(0);
  });

  it('catches up on incident events committed while it was not running', async () => {
    const dataDir = tempDir('data');
    const workspace = makeWorkspace();
    const config = loadConfig({
      env: {},
      overrides: { data_dir: dataDir, node: 'test-node', log_level: 'silent', watch: { root: workspace } },
    });
    // The store alone, no parts: the diagnostics tracker is not listening.
    const ctx = buildContext(config, { logger: createLogger('silent') });
    ctx.events.append({
      source: 'guardian',
      kind: 'incident.opened',
      data: {
        incident_id: 'inc-while-down',
        rule: 'drift_high',
        node: 'test-node',
        severity: 'critical',
        title: 'Drift',
        open_diagnostic: true,
      },
    });
    ctx.db.close();

    t = await startTestSidecar({ dataDir, workspace });
    const list = await guardianDiagnostics(t);
    expect(list).toHaveLength(1);
    expect((await detail(t, list[0]!.id)).incidents.map((i) => i.incident_id)).toEqual(['inc-while-down']);
    // And a second start does not handle it again.
    await t.stop();
    t = await startTestSidecar({ dataDir, workspace });
    expect(await guardianDiagnostics(t)).toHaveLength(1);
  });
});
