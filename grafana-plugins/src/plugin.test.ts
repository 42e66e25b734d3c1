import fs from 'node:fs';
import path from 'node:path';
import { chooseRoute, joinUrlFragments, type PluginRoute } from '../tests/browser/plugin-proxy';
import pluginJson from './plugin.json';

// Grafana's proxy route choice (tests/browser/plugin-proxy.ts) over this plugin.json: the diagnostics rules the page
// relies on.
const routes = pluginJson.routes as PluginRoute[];
const allowed = (method: string, path: string, role: 'Viewer' | 'Editor' | 'Admin'): boolean | undefined => {
  const found = chooseRoute(routes, method, path, role);
  return found.kind === 'not-found' ? undefined : found.kind === 'proxy';
};

describe('plugin.json proxy routes for diagnostics', () => {
  it('lets a Viewer read the list, one diagnostic and the analytics', () => {
    for (const path of ['api/v1/diagnostics', 'api/v1/diagnostics/D-1', 'api/v1/diagnostics/analytics']) {
      expect(allowed('GET', path, 'Viewer')).toBe(true);
    }
  });

  it('keeps every write for Editors, and a Viewer write does not fall through to a read route', () => {
    const writes: Array<[string, string]> = [
      ['POST', 'api/v1/diagnostics'],
      ['PATCH', 'api/v1/diagnostics/D-1'],
      ['POST', 'api/v1/diagnostics/D-1/comments'],
      ['POST', 'api/v1/diagnostics/D-1/assign'],
      ['POST', 'api/v1/diagnostics/D-1/transition'],
      ['POST', 'api/v1/diagnostics/D-1/reopen'],
    ];
    for (const [method, path] of writes) {
      expect(allowed(method, path, 'Viewer')).toBe(false);
      expect(allowed(method, path, 'Editor')).toBe(true);
    }
  });

  it('forwards to the same path on the sidecar', () => {
    const found = chooseRoute(routes, 'POST', 'api/v1/diagnostics/D-1/transition', 'Editor');
    expect(found.kind === 'proxy' && joinUrlFragments(found.route.url, found.capture)).toBe(
      '{{ .JsonData.sidecarUrl }}/api/v1/diagnostics/D-1/transition'
    );
    expect(chooseRoute(routes, 'DELETE', 'api/v1/diagnostics/D-1', 'Admin').kind).toBe('not-found');
  });
});

interface OpenApiDoc {
  paths: Record<string, Record<string, { description?: string }>>;
}

/** A concrete path for an OpenAPI template; action names pick their own plugin.json gate. */
function concrete(template: string, action = 'retrain'): string {
  return template
    .replace(/^\//, '')
    .replace(/\{([A-Za-z_]+)\}/g, (_m, name: string) =>
      name === 'name' && template.startsWith('/api/v1/actions/') ? action : `x${name}`
    );
}

describe('plugin.json proxy routes for every control route of the sidecar', () => {
  // Every route a person uses with the operator or admin role (docs/openapi.json says each route's access); agent
  // routes (register, heartbeat, task updates) are for agents and stay off the proxy.
  const doc = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../docs/openapi.json'), 'utf8')) as OpenApiDoc;
  const controls = Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.entries(ops)
      .map(([method, op]) => ({
        method: method.toUpperCase(),
        template: p,
        access: /Access: (\w+)\./.exec(op.description ?? '')?.[1],
      }))
      .filter((r) => r.access === 'operator' || r.access === 'admin')
  );

  it('finds the task, agent, scheduler and action controls among them', () => {
    expect(controls.map((c) => `${c.method} ${c.template}`)).toEqual(
      expect.arrayContaining([
        'POST /api/v1/tasks',
        'POST /api/v1/tasks/{id}/assign',
        'DELETE /api/v1/agents/{name}',
        'POST /api/v1/scheduler/pause',
        'POST /api/v1/scheduler/resume',
        'POST /api/v1/actions/{name}/plan',
        'POST /api/v1/actions/{name}/apply',
      ])
    );
  });

  it('lets an Editor reach each operator route and an Admin each admin one, refuses a Viewer, and forwards the same path', () => {
    const problems: string[] = [];
    for (const c of controls) {
      const p = concrete(c.template);
      const role = c.access === 'admin' ? 'Admin' : 'Editor';
      const found = chooseRoute(routes, c.method, p, role);
      if (found.kind !== 'proxy') {
        problems.push(`${c.method} ${p}: ${role} gets ${found.kind}`);
      } else if (joinUrlFragments(found.route.url, found.capture) !== `{{ .JsonData.sidecarUrl }}/${p}`) {
        problems.push(`${c.method} ${p}: forwarded to ${joinUrlFragments(found.route.url, found.capture)}`);
      }
      if (allowed(c.method, p, 'Viewer') !== false) {
        problems.push(`${c.method} ${p}: a Viewer is not refused`);
      }
      if (c.access === 'admin' && allowed(c.method, p, 'Editor') !== false) {
        problems.push(`${c.method} ${p}: an Editor is not refused an admin route`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("keeps the admin actions' apply for Admins, and every sidecar action's plan and apply for Editors", () => {
    for (const action of ['kill_release', 'flush_guardrails']) {
      expect(allowed('POST', `api/v1/actions/${action}/apply`, 'Editor')).toBe(false);
      expect(allowed('POST', `api/v1/actions/${action}/apply`, 'Admin')).toBe(true);
    }
    // policy_apply rewrites the safety policy: Admins plan and apply it; its plan's backtest is no reason to relax.
    for (const step of ['plan', 'apply']) {
      expect(allowed('POST', `api/v1/actions/policy_apply/${step}`, 'Editor')).toBe(false);
      expect(allowed('POST', `api/v1/actions/policy_apply/${step}`, 'Admin')).toBe(true);
    }
    for (const action of [
      'scheduler_pause',
      'scheduler_resume',
      'task_assign',
      'task_cancel',
      'task_requeue',
      'agent_drain',
      'agent_undrain',
      'agent_deregister',
    ]) {
      for (const step of ['plan', 'apply']) {
        expect([action, step, allowed('POST', `api/v1/actions/${action}/${step}`, 'Editor')]).toEqual([
          action,
          step,
          true,
        ]);
        expect([action, step, allowed('POST', `api/v1/actions/${action}/${step}`, 'Viewer')]).toEqual([
          action,
          step,
          false,
        ]);
      }
    }
  });
});

describe('plugin.json proxy routes for the policy', () => {
  it('lets a Viewer read the running policy and keeps the dry run for Editors', () => {
    expect(allowed('GET', 'api/v1/policy', 'Viewer')).toBe(true);
    expect(allowed('POST', 'api/v1/policy/validate', 'Viewer')).toBe(false);
    expect(allowed('POST', 'api/v1/policy/validate', 'Editor')).toBe(true);
    const found = chooseRoute(routes, 'POST', 'api/v1/policy/validate', 'Editor');
    expect(found.kind === 'proxy' && joinUrlFragments(found.route.url, found.capture)).toBe(
      '{{ .JsonData.sidecarUrl }}/api/v1/policy/validate'
    );
  });
});

describe('plugin.json proxy routes for the fleet', () => {
  it('lets a Viewer read the fleet, its feeds and stream, and one node’s pages through the hub', () => {
    for (const path of [
      'api/v1/fleet',
      'api/v1/fleet/feeds/all',
      'api/v1/fleet/stream',
      'api/v1/fleet/nodes/trader-1/api/v1/status',
    ]) {
      expect(allowed('GET', path, 'Viewer')).toBe(true);
    }
  });

  it('keeps fleet kill for Editors and fleet release for Admins, and forwarded writes for Editors', () => {
    expect(allowed('POST', 'api/v1/fleet/actions/kill/plan', 'Viewer')).toBe(false);
    expect(allowed('POST', 'api/v1/fleet/actions/kill/apply', 'Editor')).toBe(true);
    expect(allowed('POST', 'api/v1/fleet/actions/kill_release/apply', 'Editor')).toBe(false);
    expect(allowed('POST', 'api/v1/fleet/actions/kill_release/apply', 'Admin')).toBe(true);
    expect(allowed('POST', 'api/v1/fleet/nodes/trader-1/api/v1/incidents/I-1/ack', 'Viewer')).toBe(false);
    expect(allowed('POST', 'api/v1/fleet/nodes/trader-1/api/v1/incidents/I-1/ack', 'Editor')).toBe(true);
    expect(allowed('PATCH', 'api/v1/fleet/nodes/trader-1/api/v1/diagnostics/D-1', 'Editor')).toBe(true);
  });

  it('forwards to the same path on the hub', () => {
    const found = chooseRoute(routes, 'POST', 'api/v1/fleet/nodes/trader-1/api/v1/actions/kill/plan', 'Editor');
    expect(found.kind === 'proxy' && joinUrlFragments(found.route.url, found.capture)).toBe(
      '{{ .JsonData.sidecarUrl }}/api/v1/fleet/nodes/trader-1/api/v1/actions/kill/plan'
    );
  });
});

describe('plugin.json proxy routes for backtests', () => {
  it('lets a Viewer read runs and results, and keeps running and cancelling for Editors', () => {
    for (const p of [
      'api/v1/backtests',
      'api/v1/backtests/01ARZ3NDEKTSV4RRFFQ69G5FAV',
      'api/v1/backtests/01ARZ3NDEKTSV4RRFFQ69G5FAV/result',
    ]) {
      expect(allowed('GET', p, 'Viewer')).toBe(true);
    }
    for (const p of ['api/v1/backtests', 'api/v1/backtests/01ARZ3NDEKTSV4RRFFQ69G5FAV/cancel']) {
      expect(allowed('POST', p, 'Viewer')).toBe(false);
      expect(allowed('POST', p, 'Editor')).toBe(true);
    }
  });
});
