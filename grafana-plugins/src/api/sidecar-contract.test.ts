import { type BackendSrv, type BackendSrvRequest, type FetchResponse, setBackendSrv } from '@grafana/runtime';
import http from 'node:http';
import { from, type Observable } from 'rxjs';
import { PROXY_BASE } from '../constants';
import { contractProblems, routeOf } from '../test/contract';
import { grafanaContext } from '../../tests/browser/plugin-proxy';
import { demoAvailable, DEMO_SCRIPT, startSidecar, type Sidecar } from '../../tests/browser/sidecar';
import { startFleet, type Fleet } from '../../tests/browser/fleet';
import {
  createDiagnosticsApi,
  createLookoutApi,
  fleetApi,
  type DiagnosticsApi,
  type FleetApi,
  type LookoutApi,
} from './index';

const lookoutApi = createLookoutApi();
const diagnosticsApi = createDiagnosticsApi();

/**
 * The plugins' own API client against the real sidecar running the example workload: every call the plugins make is
 * answered by the sidecar and the answer is checked against docs/openapi.json, the schema the plugins' types and test
 * fixtures come from. So a change to a sidecar answer the plugins rely on fails here, or in the fixtures.
 */

/** What Grafana's plugin proxy adds to every call: the signed-in user, here a Grafana Admin (the grafana token acts for them). */
const ADMIN_CONTEXT = grafanaContext({
  userId: 1,
  login: 'contract-admin',
  name: 'Contract Admin',
  email: 'contract-admin@example.org',
  orgId: 1,
  orgName: 'Main Org.',
  orgRole: 'Admin',
  isGrafanaAdmin: false,
  isAnonymous: false,
});

interface Exchange {
  method: string;
  path: string;
  status: number;
  contentType: string;
  body: string;
}

function send(sidecar: Sidecar, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return new Promise<Exchange>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      `${sidecar.url}/${path.replace(/^\/+/, '')}`,
      {
        method,
        headers: {
          Authorization: `Bearer ${sidecar.token}`,
          'X-Grafana-Context': ADMIN_CONTEXT,
          Accept: 'application/json',
          ...(payload ? { 'Content-Type': 'application/json' } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        // An event stream never ends: its headers are the answer.
        if (String(res.headers['content-type']).startsWith('text/event-stream')) {
          res.destroy();
          resolve({ method, path, status: res.statusCode ?? 0, contentType: 'text/event-stream', body: '' });
          return;
        }
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            method,
            path,
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          })
        );
      }
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('the plugins’ API client against the real sidecar', () => {
  const AGENT = 'contract-agent';
  const AGENT_TOKEN = 'contract-agent-secret-0123456789';
  let sidecar: Sidecar;
  const exchanges: Exchange[] = [];

  beforeAll(async () => {
    if (!demoAvailable()) {
      // The test command builds every workspace first; a bare `jest` run says what is missing.
      throw new Error(`${DEMO_SCRIPT} is missing: build the sidecar and the example workload (npm run build)`);
    }
    sidecar = await startSidecar({
      extraTokens: [`${AGENT}:agent:${AGENT_TOKEN}`],
      env: {
        // An applied action opens an incident (and a diagnostic); the scheduler decides every second.
        LOOKOUT_GUARDIAN_TICK_MS: '200',
        LOOKOUT_GUARDIAN_RULES: JSON.stringify([
          {
            name: 'contract_probe',
            type: 'event_rate',
            window: '5m',
            kind: 'action.*',
            value: 0,
            open_diagnostic: true,
          },
        ]),
        LOOKOUT_SCHEDULER_TICK_MS: '200',
        // A backtest answers at once (202 while it runs), so the one the test cancels is still running.
        LOOKOUT_BACKTEST_SYNC_WAIT_MS: '0',
        LOOKOUT_SCHEDULER_POLICIES: JSON.stringify([
          { name: 'contract_probe', type: 'interval', every: '1s', action: 'retrain' },
        ]),
      },
    });
    // Grafana's backend service, with the plugin proxy replaced by the sidecar itself (the proxy's rules are the
    // browser harness's concern): every exchange is kept for the contract check.
    backendTo(() => sidecar, exchanges);
  });
  afterAll(async () => {
    await sidecar?.stop();
  });

  /** Polls `read` until `done` holds (the workload and the sidecar's ticks run on their own clocks). */
  async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string): Promise<T> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const v = await read();
      if (done(v)) {
        return v;
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('answers every call the plugins make with what docs/openapi.json describes', async () => {
    // Seed what the example workload does not make by itself, the way users and agents do it.
    await until(
      () => lookoutApi.lineage(),
      (l) => l.generations.length > 0,
      'the first lineage'
    );
    const images = await until(
      () => lookoutApi.calibration({ limit: 5 }),
      (p) => p.items.length > 0,
      'an image'
    );
    const plan = await lookoutApi.planAction('kill');
    const applied = await lookoutApi.applyAction('kill', plan.plan_id, 'contract test');
    const incidents = await until(
      () => lookoutApi.incidents(),
      (p) => p.items.length > 0,
      'an incident'
    );
    const incident = incidents.items[0]!;
    await lookoutApi.ackIncident(incident.id, 'looking');
    await lookoutApi.resolveIncident(incident.id, 'done');
    const decisions = await until(
      () => lookoutApi.feed('scheduler', { limit: 50 }),
      (p) => p.items.some((e) => typeof e.data.decision_id === 'string'),
      'a scheduler decision'
    );
    const decisionId = String(decisions.items.find((e) => typeof e.data.decision_id === 'string')!.data.decision_id);
    expect(
      (
        await send(
          sidecar,
          'POST',
          'api/v1/agents',
          { name: AGENT, capabilities: ['analyze'], priority_score: 1 },
          {
            Authorization: `Bearer ${AGENT_TOKEN}`,
          }
        )
      ).status
    ).toBe(201);
    expect((await send(sidecar, 'POST', 'api/v1/tasks', { title: 'Contract task' })).status).toBe(201);
    // The agent takes it: the task then has an attempt to list.
    const held = await until(
      () => lookoutApi.tasks({ agent: AGENT }),
      (p) => p.items.some((t) => t.attempts > 0),
      'the agent to take the task'
    );
    const taskId = held.items.find((t) => t.attempts > 0)!.id;
    const diagnostic = await diagnosticsApi.create({ title: 'Contract diagnostic', severity: 'warning' });
    await diagnosticsApi.comment(diagnostic.id, 'first');
    await diagnosticsApi.assign(diagnostic.id, 'alice', 'yours');
    await diagnosticsApi.update(diagnostic.id, { tags: ['contract'] });
    await diagnosticsApi.transition(diagnostic.id, 'resolved', 'fixed');
    await diagnosticsApi.reopen(diagnostic.id, 'not fixed');
    // A backtest of the running rules over the last minutes, to its end; a long one is started and cancelled below.
    const started = await lookoutApi.createBacktest({ from: new Date(Date.now() - 300_000).toISOString() });
    const ended = await until(
      () => lookoutApi.backtest(started.id),
      (r) => r.status !== 'running',
      'the backtest to end'
    );
    expect(ended.status).toBe('succeeded');
    let longRun = '';

    // Every function of the client, by name: a new one must be added here (the types insist).
    const lookoutCalls: Record<keyof LookoutApi, () => Promise<unknown>> = {
      status: () => lookoutApi.status(),
      whoami: async () => {
        const me = await lookoutApi.whoami();
        expect(me).toMatchObject({ actor: 'grafana:contract-admin', role: 'admin', token: { role: 'grafana' } });
        return me;
      },
      lineage: async () => {
        await lookoutApi.lineage();
        return lookoutApi.lineage(new Date().toISOString());
      },
      calibration: () => lookoutApi.calibration({ generation: images.items[0]!.generation, limit: 2 }),
      imageUrl: () => send(sidecar, 'GET', lookoutApi.imageUrl(images.items[0]!).slice(PROXY_BASE.length + 1)),
      feed: async () => {
        for (const f of ['scheduler', 'guardian', 'activity', 'agents', 'diagnostics', 'all'] as const) {
          await lookoutApi.feed(f, { limit: 20, severity: 'info' });
        }
      },
      streamUrl: () =>
        send(sidecar, 'GET', lookoutApi.streamUrl(['all'], 'warning', ['lineage.*']).slice(PROXY_BASE.length + 1)),
      planAction: () => lookoutApi.planAction('retrain'),
      applyAction: async () => applied,
      action: () => lookoutApi.action(applied.id),
      actions: () => lookoutApi.actions(),
      incidents: () => lookoutApi.incidents('resolved'),
      ackIncident: async () => undefined,
      resolveIncident: async () => undefined,
      decision: () => lookoutApi.decision(decisionId),
      agents: () => lookoutApi.agents(),
      tasks: () => lookoutApi.tasks({ status: ['assigned', 'queued'], limit: 50 }),
      taskAttempts: () => lookoutApi.taskAttempts(taskId),
      createTask: () => lookoutApi.createTask({ title: 'Contract task from the app', max_attempts: 2 }),
      audit: () => lookoutApi.audit(null, 50),
      policy: () => lookoutApi.policy(),
      createBacktest: async () => {
        // Two days at 50 ms ticks: still running when it is cancelled a moment later.
        const run = await lookoutApi.createBacktest({
          from: new Date(Date.now() - 2 * 86_400_000).toISOString(),
          tick_ms: 50,
        });
        longRun = run.id;
        return run;
      },
      backtests: () => lookoutApi.backtests(),
      backtest: () => lookoutApi.backtest(ended.id),
      backtestResult: () => lookoutApi.backtestResult(ended.id),
      cancelBacktest: async () => {
        const run = await lookoutApi.cancelBacktest(longRun);
        expect(run.status).toBe('cancelled');
        return run;
      },
      validatePolicy: () =>
        lookoutApi.validatePolicy(
          'guardian:\n  rules:\n    - { name: contract_check, type: threshold, metric: drift_score, op: ">", value: 0.9 }\n'
        ),
    };
    const diagnosticCalls: Record<keyof DiagnosticsApi, () => Promise<unknown>> = {
      list: () => diagnosticsApi.list({ status: 'in_progress', sort: 'updated_at', order: 'desc', limit: 10 }),
      get: () => diagnosticsApi.get(diagnostic.id),
      analytics: async () => {
        await diagnosticsApi.analytics();
        return diagnosticsApi.analytics({ diagnostic: diagnostic.id });
      },
      create: async () => diagnostic,
      update: async () => undefined,
      comment: async () => undefined,
      assign: async () => undefined,
      transition: async () => undefined,
      reopen: async () => undefined,
    };
    const callsFrom = exchanges.length;
    for (const call of [...Object.values(lookoutCalls), ...Object.values(diagnosticCalls)]) {
      await call();
    }

    const problems: string[] = [];
    const seen = new Set<string>();
    for (const x of exchanges) {
      const route = routeOf(x.method, x.path);
      const label = `${x.method} ${x.path} → ${x.status}`;
      if (!route) {
        problems.push(`${label}: not in docs/openapi.json`);
        continue;
      }
      seen.add(route);
      if (x.status >= 300) {
        problems.push(`${label}: ${x.body}`);
      } else if (!x.contentType.startsWith('application/json')) {
        problems.push(`${label}: content type ${x.contentType}`);
      } else {
        problems.push(...contractProblems(JSON.parse(x.body), route, x.status).map((p) => `${label}: ${p}`));
      }
    }
    expect(problems).toEqual([]);
    // The non-JSON answers: image bytes and the live stream.
    const image = await lookoutCalls.imageUrl();
    expect(image).toMatchObject({ status: 200, contentType: expect.stringMatching(/^image\//) });
    const stream = await lookoutCalls.streamUrl();
    expect(stream).toMatchObject({ status: 200, contentType: 'text/event-stream' });
    // Every GET the plugins make was checked.
    expect([...seen].filter((r) => r.startsWith('GET ')).sort()).toEqual([
      'GET /api/v1/actions',
      'GET /api/v1/actions/{id}',
      'GET /api/v1/agents',
      'GET /api/v1/artifacts/calibration',
      'GET /api/v1/audit',
      'GET /api/v1/backtests',
      'GET /api/v1/backtests/{id}',
      'GET /api/v1/backtests/{id}/result',
      'GET /api/v1/decisions/{id}',
      'GET /api/v1/diagnostics',
      'GET /api/v1/diagnostics/analytics',
      'GET /api/v1/diagnostics/{id}',
      'GET /api/v1/feeds/{feed}',
      'GET /api/v1/incidents',
      'GET /api/v1/lineage',
      'GET /api/v1/policy',
      'GET /api/v1/status',
      'GET /api/v1/tasks',
      'GET /api/v1/tasks/{id}/attempts',
      'GET /api/v1/whoami',
    ]);
    // ... and every list the plugins read (after seeding) had items to check.
    const empty = exchanges
      .slice(callsFrom)
      .filter((x) => x.method === 'GET' && x.status === 200 && x.contentType.startsWith('application/json'))
      .filter((x) => (JSON.parse(x.body) as { items?: unknown[] }).items?.length === 0)
      .map((x) => x.path);
    expect(empty).toEqual([]);
  });
});

/** Grafana's backend service with the plugin proxy replaced by `target()`; every exchange is kept. */
function backendTo(target: () => Sidecar, exchanges: Exchange[]): void {
  const fetch = (req: BackendSrvRequest): Observable<FetchResponse<unknown>> =>
    from(
      (async () => {
        const u = new URL(req.url, 'http://grafana.local');
        const path = u.pathname.slice(PROXY_BASE.length + 1) + u.search;
        const x = await send(
          target(),
          req.method ?? 'GET',
          path,
          req.data,
          (req.headers ?? {}) as Record<string, string>
        );
        exchanges.push(x);
        const data: unknown = x.body ? JSON.parse(x.body) : undefined;
        if (x.status >= 400) {
          throw { status: x.status, data, statusText: 'error' };
        }
        return { data, status: x.status, ok: true } as FetchResponse<unknown>;
      })()
    );
  setBackendSrv({ fetch } as unknown as BackendSrv);
}

describe('the plugins’ fleet client against a real fleet hub', () => {
  let fleet: Fleet;
  const exchanges: Exchange[] = [];

  beforeAll(async () => {
    if (!demoAvailable()) {
      throw new Error(`${DEMO_SCRIPT} is missing: build the sidecar and the example workload (npm run build)`);
    }
    fleet = await startFleet();
    backendTo(() => fleet.hub, exchanges);
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('answers every call of the fleet client, and one node’s own routes through the hub, as docs/openapi.json says', async () => {
    const deadline = Date.now() + 30_000;
    while ((await fleetApi.fleet()).nodes.filter((n) => n.state === 'up').length < 2) {
      if (Date.now() > deadline) {
        throw new Error('the fleet did not come up');
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const node = fleet.names.node;
    const calls: Record<keyof FleetApi, () => Promise<unknown>> = {
      fleet: () => fleetApi.fleet(),
      feed: () => fleetApi.feed('all', { limit: 20, node: [node] }),
      streamUrl: () => send(fleet.hub, 'GET', fleetApi.streamUrl(['all'], 'info', [node]).slice(PROXY_BASE.length + 1)),
      plan: () => fleetApi.plan('kill', { labels: { role: 'worker' } }),
      apply: async () => {
        const plan = await fleetApi.plan('kill', { labels: { role: 'worker' } });
        await fleetApi.apply('kill', plan.plan_id, 'contract check');
        const release = await fleetApi.plan('kill_release', { labels: { role: 'worker' } });
        return fleetApi.apply('kill_release', release.plan_id, 'contract check over');
      },
    };
    const from = exchanges.length;
    for (const call of Object.values(calls)) {
      await call();
    }
    // A node's own pages, through the hub's forward.
    const viaHub = createLookoutApi(node);
    expect((await viaHub.status()).node).toBe(node);
    await viaHub.lineage();
    await viaHub.incidents();
    const problems: string[] = [];
    for (const x of exchanges.slice(from)) {
      const route = routeOf(x.method, x.path);
      const label = `${x.method} ${x.path} → ${x.status}`;
      if (!route) {
        problems.push(`${label}: not in docs/openapi.json`);
      } else if (x.status >= 300) {
        problems.push(`${label}: ${x.body}`);
      } else if (x.contentType.startsWith('application/json')) {
        problems.push(...contractProblems(JSON.parse(x.body), route, x.status).map((p) => `${label}: ${p}`));
      } else if (x.contentType !== 'text/event-stream') {
        problems.push(`${label}: content type ${x.contentType}`);
      }
    }
    expect(problems).toEqual([]);
    expect(await calls.streamUrl()).toMatchObject({ status: 200, contentType: 'text/event-stream' });
  });
});
