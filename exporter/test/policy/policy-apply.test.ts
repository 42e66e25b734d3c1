import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { type TestSidecar, startTestSidecar, tempDir } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';

const drift = (value: number): Record<string, unknown> => ({
  name: 'drift_high',
  type: 'threshold',
  metric: 'drift_score',
  op: '>',
  value,
  playbook: [{ do: 'notify' }],
});
const RUNNING = { signals: { drift_score: {} }, guardian: { rules: [drift(0.6)] } };
const CANDIDATE = {
  signals: { drift_score: {} },
  guardian: {
    rules: [
      drift(0.9),
      { name: 'drift_low', type: 'threshold', metric: 'drift_score', op: '<', value: 0.1, shadow: true },
    ],
  },
};

interface Plan {
  plan_id: string;
  allowed: boolean;
  changes: { field: string; from: unknown; to: unknown }[];
  interlocks: { code: string }[];
  evidence: Record<string, unknown> | null;
}

describe('policy_apply: promote a policy with evidence', () => {
  let t: TestSidecar;
  let file: string;
  let keys = 0;

  beforeEach(async () => {
    file = path.join(tempDir('policy-apply'), 'policy.yml');
    fs.writeFileSync(file, YAML.stringify(RUNNING));
    t = await startTestSidecar({ overrides: { policy: { file }, guardian: { enabled: false, tick_ms: 1000 } } });
    // Drift at 0.8 for a few seconds: the running rule fires; the candidate's would not.
    expect(t.sidecar.ctx.telemetry.ingest({ metrics: { drift_score: 0.8 } }, 'api')).toMatchObject({ ok: true });
    t.sidecar.control.guardian.tick();
  });
  afterEach(async () => {
    await t.stop();
  });

  const plan = async (params: Record<string, unknown>, as: 'admin' | 'operator' = 'admin') =>
    t.call('POST', '/api/v1/actions/policy_apply/plan', { as, body: { params } });
  const apply = async (planId: string) =>
    t.call('POST', '/api/v1/actions/policy_apply/apply', {
      as: 'admin',
      body: { plan_id: planId, reason: 'raise the drift threshold after the backtest' },
      headers: { 'idempotency-key': `apply-${++keys}` },
    });

  test('the plan shows the rule diff and the backtest of the candidate over the window; the run is kept', async () => {
    const r = await plan({ content: YAML.stringify(CANDIDATE), window: '1h' });
    expect(r.status).toBe(200);
    const p = r.body as Plan;
    expect(p.allowed).toBe(true);
    expect(p.changes).toEqual(
      expect.arrayContaining([
        { field: 'policy.version', from: expect.any(String), to: expect.any(String) },
        { field: 'guardian.rules.drift_high.value', from: 0.6, to: 0.9 },
        {
          field: 'guardian.rules.drift_low',
          from: null,
          to: expect.objectContaining({ name: 'drift_low', shadow: true }),
        },
      ])
    );
    const evidence = p.evidence as {
      diff: { rules: { added: { name: string }[]; changed: { name: string }[]; removed: unknown[] } };
      backtest: {
        id: string;
        status: string;
        summary: { comparison: Record<string, number> };
        range: { from: string; to: string };
      };
    };
    expect(evidence.diff.rules.added.map((a) => a.name)).toEqual(['drift_low']);
    expect(evidence.diff.rules.changed.map((c) => c.name)).toEqual(['drift_high']);
    expect(evidence.backtest.status).toBe('succeeded');
    // The running rule fired for real; the candidate would not have.
    expect(evidence.backtest.summary.comparison).toMatchObject({ removed: 1, same: 0 });
    expect(Date.parse(evidence.backtest.range.to) - Date.parse(evidence.backtest.range.from)).toBe(3_600_000);
    const kept = await t.call('GET', `/api/v1/backtests/${evidence.backtest.id}`, { as: 'viewer' });
    expect(kept.body).toMatchObject({ rules_from: 'policy', actor: 'admin', status: 'succeeded' });
  });

  test('apply writes the policy file atomically and loads it, recorded with the person and the reason', async () => {
    const content = YAML.stringify(CANDIDATE);
    const p = (await plan({ content })).body as Plan;
    const r = await apply(p.plan_id);
    expect(r.status).toBe(202);
    await t.sidecar.control.actions.settle();
    const action = (await t.call('GET', `/api/v1/actions/${(r.body as { id: string }).id}`, { as: 'viewer' }))
      .body as Record<string, unknown>;
    expect(action).toMatchObject({ action: 'policy_apply', status: 'applied', actor: 'admin' });
    expect(fs.readFileSync(file, 'utf8')).toBe(content);
    // No temporary file is left beside it.
    expect(fs.readdirSync(path.dirname(file))).toEqual(['policy.yml']);
    const running = (await t.call('GET', '/api/v1/policy', { as: 'viewer' })).body as {
      version: string;
      guardian: { rules: { name: string }[] };
    };
    expect(running.guardian.rules.map((x) => x.name)).toEqual(['drift_high', 'drift_low']);
    const loaded = t.sidecar.ctx.events.query({ kinds: ['policy.loaded'], limit: 1 })[0]!;
    expect(loaded).toMatchObject({
      actor: 'admin',
      data: { version: running.version, trigger: 'apply', action_id: action['id'] },
    });
    const audit = (await t.call('GET', '/api/v1/audit?limit=20', { as: 'admin' })).body as {
      items: { action: string; actor: string; reason: string | null; status: number }[];
    };
    expect(audit.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'apply:policy_apply',
          actor: 'admin',
          reason: 'raise the drift threshold after the backtest',
          status: 202,
        }),
        expect.objectContaining({ action: 'policy.reload', actor: 'admin', status: 200 }),
      ])
    );
    // The file watcher sees the new file and finds nothing new to load.
    await waitFor(() => t.sidecar.control.policy.reload() === 'unchanged');
  });

  test('an operator may not plan it; an invalid candidate is refused with its paths', async () => {
    expect((await plan({ content: YAML.stringify(CANDIDATE) }, 'operator')).status).toBe(403);
    const bad = await plan({
      content: YAML.stringify({
        guardian: { rules: [{ name: 'x', type: 'threshold', metric: 'drift_score', op: '>>', value: 1 }] },
      }),
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'policy_invalid', details: [{ path: 'guardian.rules.0.op' }] } });
    const missing = await plan({ window: '1h' });
    expect(missing.body).toMatchObject({
      error: { code: 'invalid_request', details: [{ path: 'body.params.content' }] },
    });
    // A playbook may not name policy_apply: it cannot run in one step.
    const v = await t.call('POST', '/api/v1/policy/validate', {
      as: 'operator',
      body: {
        content: YAML.stringify({
          guardian: { rules: [{ ...RUNNING.guardian.rules[0], playbook: [{ do: 'action', action: 'policy_apply' }] }] },
        }),
      },
    });
    expect(v.body).toMatchObject({ error: { code: 'policy_invalid', details: [{ code: 'unknown_action' }] } });
  });

  test('a plan goes stale when the policy changes before it is applied', async () => {
    const p = (await plan({ content: YAML.stringify(CANDIDATE) })).body as Plan;
    fs.writeFileSync(file, YAML.stringify({ ...RUNNING, description: 'edited by hand meanwhile' }));
    expect(t.sidecar.control.policy.reload()).toBe('applied');
    const r = await apply(p.plan_id);
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({
      error: { code: 'plan_stale', details: { changed: [{ field: 'target.policy_version' }] } },
    });
  });
});

describe('policy_apply without a policy file', () => {
  test('the plan says there is no file to write (interlock) and apply is refused', async () => {
    const t = await startTestSidecar({
      overrides: { guardian: { enabled: false, rules: RUNNING.guardian.rules as never } },
    });
    try {
      expect(t.sidecar.ctx.telemetry.ingest({ metrics: { drift_score: 0.2 } }, 'api')).toMatchObject({ ok: true });
      const r = await t.call('POST', '/api/v1/actions/policy_apply/plan', {
        as: 'admin',
        body: { params: { content: YAML.stringify(CANDIDATE), window: '5m' } },
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ allowed: false, interlocks: [{ code: 'no_policy_file' }] });
      const a = await t.call('POST', '/api/v1/actions/policy_apply/apply', {
        as: 'admin',
        body: { plan_id: (r.body as Plan).plan_id, reason: 'try anyway' },
        headers: { 'idempotency-key': 'k1' },
      });
      expect(a.status).toBe(409);
      expect(a.body).toMatchObject({ error: { code: 'interlock' } });
    } finally {
      await t.stop();
    }
  });
});
