import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ConfigError, loadConfig } from '../../src/config/load-config';
import { PolicyLoadError } from '../../src/policy';
import { AGGREGATES, guardianRuleSchema, playbookStepSchema } from '../../src/guardian';
import type { LookoutEvent } from '../../src/events/event';
import { type TestSidecar, startTestSidecar, tempDir } from '../helpers/sidecar';
import { REPO_ROOT, runbookFile } from '../helpers/stack-assets';
import { createSimulator } from '../../../examples/src';
import { waitFor } from '../helpers/wait';

const STARTER = path.join(REPO_ROOT, 'policies', 'starter.yml');

interface Problem {
  path: string;
  message: string;
  code: string;
}

/** A small valid policy: one threshold rule, one playbook, one scheduler policy. */
function policyText(
  over: { rules?: unknown[]; playbooks?: unknown; policies?: unknown[]; signals?: unknown } = {}
): string {
  return YAML.stringify({
    signals: over.signals ?? { drift_score: {}, venue_latency_ms: { labels: ['venue'] } },
    guardian: {
      playbooks: over.playbooks ?? { tell: [{ do: 'notify' }] },
      rules: over.rules ?? [
        {
          name: 'drift_high',
          type: 'threshold',
          metric: 'drift_score',
          op: '>',
          value: 0.6,
          reason: 'r',
          playbook: [{ do: 'playbook', name: 'tell' }],
        },
      ],
    },
    scheduler: {
      policies: over.policies ?? [{ name: 'retrain', type: 'drift', threshold: 0.5, for: '1m', action: 'retrain' }],
    },
  });
}

/** Writes the policy file the way an editor does: a temp file renamed over it. */
function writePolicy(file: string, text: string | Buffer): void {
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

function eventsOf(t: TestSidecar, kind: string): LookoutEvent[] {
  return t.sidecar.ctx.events.query({ kinds: [kind], limit: 100 });
}

describe('the starter policy (policies/starter.yml)', () => {
  let t: TestSidecar;
  beforeAll(async () => {
    t = await startTestSidecar({ overrides: { policy: { file: STARTER } } });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('loads at start-up: the guardian and the scheduler run its rules and policies', async () => {
    const doc = YAML.parse(fs.readFileSync(STARTER, 'utf8')) as {
      guardian: { rules: { name: string }[] };
      scheduler: { policies: { name: string }[] };
    };
    const r = await t.call('GET', '/api/v1/policy', { as: 'viewer' });
    expect(r.status).toBe(200);
    const body = r.body as {
      version: string;
      source: { kind: string; path: string };
      guardian: { rules: { name: string }[] };
      scheduler: { policies: { name: string }[] };
      last_error: unknown;
      text: string;
    };
    expect(body.source).toEqual({ kind: 'file', path: STARTER });
    expect(body.version).toMatch(/^[0-9a-f]{16}$/);
    expect(body.text).toBe(fs.readFileSync(STARTER, 'utf8'));
    expect(body.last_error).toBeNull();
    expect(body.guardian.rules.map((x) => x.name)).toEqual(doc.guardian.rules.map((x) => x.name));
    expect(t.sidecar.control.guardian.policy().rules.map((x) => x.name)).toEqual(doc.guardian.rules.map((x) => x.name));
    const status = (await t.call('GET', '/api/v1/status', { as: 'viewer' })).body as {
      scheduler: { policies: number };
      policy: { version: string };
    };
    expect(status.scheduler.policies).toBe(doc.scheduler.policies.length);
    expect(status.policy.version).toBe(body.version);
  });

  it('has the promised rules, each with a reason and a runbook page in docs/runbooks/ that names it', () => {
    const doc = YAML.parse(fs.readFileSync(STARTER, 'utf8')) as {
      guardian: { rules: { name: string; type: string; reason?: string; runbook?: string; playbook: unknown[] }[] };
      scheduler: { policies: { name: string; type: string; reason?: string; runbook?: string }[] };
    };
    const names = doc.guardian.rules.map((r) => r.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'drift_high',
        'confidence_low',
        'fill_ratio_low',
        'venue_latency_high',
        'pnl_drawdown_kill',
        'telemetry_stale',
        'agent_heartbeat_missing',
      ])
    );
    expect(doc.scheduler.policies.map((p) => p.type).sort()).toEqual(['canary', 'drift']);
    for (const r of [...doc.guardian.rules, ...doc.scheduler.policies]) {
      expect([r.name, (r.reason ?? '').length > 10]).toEqual([r.name, true]);
      const file = runbookFile(r.runbook ?? '');
      expect([r.name, path.dirname(file), fs.existsSync(file)]).toEqual([
        r.name,
        path.join(REPO_ROOT, 'docs', 'runbooks'),
        true,
      ]);
      expect([r.name, fs.readFileSync(file, 'utf8').includes(`\`${r.name}\``)]).toEqual([r.name, true]);
    }
    // The telemetry rule does not kill unless configured; the drawdown rule does.
    const policy = t.sidecar.control.policy.current().running.document;
    expect(policy.guardian.playbooks['telemetry_lost']!.map((s) => s.do)).not.toContain('kill_switch');
    expect(policy.guardian.playbooks['halt']!.map((s) => s.do)).toContain('kill_switch');
  });

  it('has every rule type, aggregate, matcher, playbook step and validation code of the code documented in docs/policy.md', () => {
    const md = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'policy.md'), 'utf8');
    const ruleTypes = guardianRuleSchema.options.map((o) => o.shape.type.value);
    const steps = playbookStepSchema.options.map((o) => o.shape.do.value);
    const matchers = ['re', 'not', 'not_re'];
    const codes = [
      'too_large',
      'binary',
      'encoding',
      'empty',
      'syntax',
      'unrecognized_keys',
      'unknown_action',
      'unknown_signal',
      'unknown_label',
    ];
    const missing = [...ruleTypes, ...AGGREGATES, ...matchers, ...codes].filter((n) => !md.includes(`\`${n}\``));
    expect(missing).toEqual([]);
    expect(steps.filter((st) => !md.includes(`do: ${st}`))).toEqual([]);
  });

  it('is documented rule by rule in docs/policy.md', () => {
    const md = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'policy.md'), 'utf8');
    const running = t.sidecar.control.policy.current().running.document;
    for (const r of [...running.guardian.rules, ...running.scheduler.policies]) {
      expect([r.name, md.includes(`\`${r.name}\``)]).toEqual([r.name, true]);
    }
  });

  it('validates through the dry-run route; its signals are exactly what the example workload reports', async () => {
    const content = fs.readFileSync(STARTER, 'utf8');
    const before = await t.call('POST', '/api/v1/policy/validate', { as: 'operator', body: { content } });
    expect(before.status).toBe(200);
    // Before the workload reports, every declared signal is a warning ("not reported yet").
    expect((before.body as { warnings: Problem[] }).warnings.length).toBeGreaterThan(10);
    const sim = createSimulator({ workspace: t.workspace, seed: 3, tickMs: 60_000 });
    sim.tick();
    sim.stop();
    await waitFor(() => t.sidecar.ctx.telemetry.family('symbol_correlation'));
    const r = await t.call('POST', '/api/v1/policy/validate', { as: 'operator', body: { content } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      valid: true,
      version: t.sidecar.control.policy.current().running.version,
      guardian_rules: t.sidecar.control.guardian.policy().rules.length,
      scheduler_policies: 2,
      warnings: [],
    });
    // And the workload reports nothing the policy does not declare.
    const declared = Object.keys(t.sidecar.control.policy.current().running.document.signals ?? {}).sort();
    expect([...t.sidecar.ctx.telemetry.store.families.keys()].sort()).toEqual(declared);
  });
});

describe('policy validation refuses bad input with every problem and its path', () => {
  let t: TestSidecar;
  beforeAll(async () => {
    t = await startTestSidecar();
  });
  afterAll(async () => {
    await t.stop();
  });

  const validate = async (content: string): Promise<{ status: number; code?: string; problems: Problem[] }> => {
    const r = await t.call('POST', '/api/v1/policy/validate', { as: 'operator', body: { content } });
    const err = (r.body as { error?: { code: string; details: Problem[] } }).error;
    return { status: r.status, code: err?.code, problems: err?.details ?? [] };
  };

  it('a typo: a misspelt key and a bad operator, both listed', async () => {
    const text = policyText().replace('op: ">"', 'op: "=>"').replace('value: 0.6', 'value: 0.6\n      thresold: 1');
    const r = await validate(text);
    expect(r.status).toBe(400);
    expect(r.code).toBe('policy_invalid');
    expect(r.problems.map((p) => p.path).sort()).toEqual(['guardian.rules.0.op', 'guardian.rules.0.thresold']);
    expect(r.problems.find((p) => p.path.endsWith('thresold'))!.message).toBe('unknown key thresold');
  });

  it('an unknown signal, with the closest declared name', async () => {
    const r = await validate(
      policyText({
        rules: [
          { name: 'a', type: 'threshold', metric: 'drift_scroe', op: '>', value: 1 },
          { name: 'b', type: 'threshold', metric: 'venue_latency_ms', match: { venu: 'CME' }, op: '>', value: 1 },
        ],
      })
    );
    expect(r.status).toBe(400);
    expect(r.problems).toEqual([
      {
        path: 'guardian.rules.0.metric',
        message: 'unknown signal drift_scroe: not declared under signals (did you mean drift_score?)',
        code: 'unknown_signal',
      },
      {
        path: 'guardian.rules.1.match.venu',
        message: 'signal venue_latency_ms has no label venu (declared: venue) (did you mean venue?)',
        code: 'unknown_label',
      },
    ]);
  });

  it('a duplicate rule id', async () => {
    const rule = { name: 'same', type: 'threshold', metric: 'drift_score', op: '>', value: 1 };
    const r = await validate(policyText({ rules: [rule, { ...rule, value: 2 }] }));
    expect(r.problems).toEqual([
      { path: 'guardian.rules.1.name', message: 'duplicate rule name same', code: 'custom' },
    ]);
    // Listed with a typo elsewhere in the same file, not only once every entry is well formed.
    const both = await validate(policyText({ rules: [rule, { ...rule, op: '=>' }] }));
    expect(both.problems.map((p) => p.path)).toEqual(['guardian.rules.1.op', 'guardian.rules.1.name']);
  });

  it('a cycle in playbooks, and a reference to no playbook', async () => {
    const r = await validate(
      policyText({
        playbooks: {
          a: [{ do: 'notify' }, { do: 'playbook', name: 'b' }],
          b: [{ do: 'playbook', name: 'c' }],
          c: [{ do: 'playbook', name: 'a' }],
          d: [{ do: 'playbook', name: 'nowhere' }],
        },
      })
    );
    expect(r.problems).toEqual(
      expect.arrayContaining([
        { path: 'guardian.playbooks.c.0.name', message: 'playbook cycle: a → b → c → a', code: 'custom' },
        { path: 'guardian.playbooks.d.0.name', message: 'no playbook named nowhere', code: 'custom' },
        { path: 'guardian.rules.0.playbook.0.name', message: 'no playbook named tell', code: 'custom' },
      ])
    );
    expect(r.problems).toHaveLength(3);
  });

  it('an unknown action in a playbook or a scheduler policy', async () => {
    const r = await validate(
      policyText({
        playbooks: { tell: [{ do: 'action', action: 'retrian' }] },
        policies: [{ name: 'p', type: 'interval', every: '1h', action: 'rolback' }],
      })
    );
    expect(r.problems.map((p) => [p.path, p.code])).toEqual([
      ['guardian.playbooks.tell.0.action', 'unknown_action'],
      ['scheduler.policies.0.action', 'unknown_action'],
    ]);
    expect(r.problems[0]!.message).toContain('did you mean retrain?');
  });

  it('YAML syntax errors, with their lines', async () => {
    const r = await validate('guardian:\n  rules: [\n    { name: a\n');
    expect(r.status).toBe(400);
    expect(r.problems.length).toBeGreaterThan(0);
    expect(r.problems.every((p) => p.code === 'syntax' && /^line \d+, column \d+$/.test(p.path))).toBe(true);
  });

  it('10 MB of junk: refused by its size, unparsed', async () => {
    const dir = tempDir('policy-junk');
    const file = path.join(dir, 'policy.yml');
    writePolicy(file, policyText());
    const s = await startTestSidecar({ overrides: { policy: { file } } });
    try {
      const running = s.sidecar.control.policy.current().running.version;
      writePolicy(file, Buffer.alloc(10 * 1024 * 1024, 'x{'));
      const rejected = await waitFor(() => eventsOf(s, 'policy.rejected')[0]);
      expect(rejected.data['problems']).toEqual([
        {
          path: '(file)',
          message: `the policy is ${10 * 1024 * 1024} bytes; the limit is 1048576 (policy.max_bytes)`,
          code: 'too_large',
        },
      ]);
      expect(s.sidecar.control.policy.current().running.version).toBe(running);
      expect(s.sidecar.control.guardian.policy().rules.map((r) => r.name)).toEqual(['drift_high']);
    } finally {
      await s.stop();
    }
  });

  it('a policy that is not a mapping, or empty', async () => {
    expect((await validate('- a\n- b\n')).problems).toEqual([
      {
        path: '(root)',
        message: 'the policy must be a mapping (guardian:, scheduler:, signals:)',
        code: 'invalid_type',
      },
    ]);
    expect((await validate('   \n')).problems).toEqual([
      { path: '(file)', message: 'the policy is empty', code: 'empty' },
    ]);
  });

  it('without declared signals, a signal the workload has not reported is a warning, not an error', async () => {
    const text = YAML.stringify({
      guardian: { rules: [{ name: 'x', type: 'threshold', metric: 'never_reported', op: '>', value: 1 }] },
    });
    const r = await t.call('POST', '/api/v1/policy/validate', { as: 'operator', body: { content: text } });
    expect(r.status).toBe(200);
    expect((r.body as { warnings: Problem[] }).warnings).toEqual([
      {
        path: 'guardian.rules.0.metric',
        message: 'signal never_reported has not been reported by the workload yet',
        code: 'unreported_signal',
      },
    ]);
  });

  it('the dry run needs an operator', async () => {
    const r = await t.call('POST', '/api/v1/policy/validate', { as: 'viewer', body: { content: policyText() } });
    expect(r.status).toBe(403);
  });
});

describe('hot reload of the policy file', () => {
  let t: TestSidecar;
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = tempDir('policy');
    file = path.join(dir, 'policy.yml');
    writePolicy(file, policyText());
    t = await startTestSidecar({ overrides: { policy: { file, debounce_ms: 20 } } });
  });
  afterEach(async () => {
    await t.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a valid change replaces guardian and scheduler together, is audited, and is emitted with its version', async () => {
    const before = t.sidecar.control.policy.current().running.version;
    // Whoever hears the event sees both halves already swapped.
    const seenAtEvent: { rules: string[]; policies: number }[] = [];
    t.sidecar.ctx.events.onAppend((batch) => {
      if (batch.some((e) => e.kind === 'policy.loaded')) {
        seenAtEvent.push({
          rules: t.sidecar.control.guardian.policy().rules.map((r) => r.name),
          policies: (t.sidecar.control.scheduler as unknown as { policies: unknown[] }).policies.length,
        });
      }
    });
    const next = policyText({
      rules: [
        {
          name: 'latency',
          type: 'threshold',
          metric: 'venue_latency_ms',
          match: { venue: 'CME' },
          op: '>',
          value: 100,
        },
        { name: 'drift_high', type: 'threshold', metric: 'drift_score', op: '>', value: 0.7 },
      ],
      policies: [
        { name: 'r1', type: 'drift', threshold: 0.5, action: 'retrain' },
        { name: 'r2', type: 'interval', every: '1h', action: 'retrain' },
      ],
    });
    writePolicy(file, next);
    const loaded = await waitFor(() => eventsOf(t, 'policy.loaded').find((e) => e.data['trigger'] === 'watch'));
    const version = (loaded.data as { version: string }).version;
    expect(version).not.toBe(before);
    expect(loaded.data).toMatchObject({
      previous_version: before,
      guardian_rules: 2,
      scheduler_policies: 2,
      source: file,
    });
    expect(seenAtEvent).toEqual([{ rules: ['latency', 'drift_high'], policies: 2 }]);

    const r = (await t.call('GET', '/api/v1/policy', { as: 'viewer' })).body as {
      version: string;
      loaded_at: string;
      text: string;
    };
    expect(r.version).toBe(version);
    expect(r.text).toBe(next);
    const audit = t.sidecar.control.audit.query({ action: 'policy.reload', limit: 10 });
    expect(audit[0]).toMatchObject({ actor: 'policy-file', result: `applied ${version}`, path: file, status: 200 });
    const metrics = String((await t.call('GET', '/metrics', { as: 'viewer' })).body);
    expect(metrics).toMatch(
      new RegExp(`lookout_policy_info\\{version="${version}",source="file",node="test-node"\\} 1`)
    );
    expect(metrics).toMatch(/lookout_policy_reloads_total\{outcome="applied",node="test-node"\} 2/);
  });

  it('an invalid change keeps the running policy and reports every problem (event, metric, log, read route)', async () => {
    const running = t.sidecar.control.policy.current().running;
    const bad = policyText({
      rules: [
        { name: 'dup', type: 'threshold', metric: 'drift_scroe', op: '>', value: 1 },
        { name: 'dup', type: 'threshold', metric: 'drift_score', op: '>', value: 1 },
      ],
    });
    writePolicy(file, bad);
    const rejected = await waitFor(() => eventsOf(t, 'policy.rejected')[0]);
    expect(rejected.severity).toBe('warning');
    expect((rejected.data['problems'] as Problem[]).map((p) => p.path)).toEqual([
      'guardian.rules.1.name',
      'guardian.rules.0.metric',
    ]);
    expect(rejected.data).toMatchObject({ running_version: running.version, problem_count: 2 });
    // Untouched: same version, same rules in the guardian, same policies in the scheduler.
    expect(t.sidecar.control.policy.current().running.version).toBe(running.version);
    expect(t.sidecar.control.guardian.policy().rules.map((r) => r.name)).toEqual(['drift_high']);
    const r = (await t.call('GET', '/api/v1/policy', { as: 'viewer' })).body as {
      version: string;
      last_error: { problems: Problem[] };
    };
    expect(r.version).toBe(running.version);
    expect(r.last_error.problems).toHaveLength(2);
    const metrics = String((await t.call('GET', '/metrics', { as: 'viewer' })).body);
    expect(metrics).toMatch(/^lookout_policy_problems\{node="test-node"\} 2$/m);
    expect(t.sidecar.control.audit.query({ action: 'policy.reload', limit: 1 })[0]).toMatchObject({
      status: 400,
      result: 'rejected: 2 problem(s)',
    });

    // Fixed: the next valid save loads and clears the error.
    writePolicy(
      file,
      policyText({ rules: [{ name: 'fixed', type: 'threshold', metric: 'drift_score', op: '>', value: 1 }] })
    );
    await waitFor(() => t.sidecar.control.guardian.policy().rules[0]?.name === 'fixed');
    expect(t.sidecar.control.policy.current().last_error).toBeNull();
    expect(String((await t.call('GET', '/metrics', { as: 'viewer' })).body)).toMatch(
      /^lookout_policy_problems\{node="test-node"\} 0$/m
    );
  });

  it('a deleted policy file keeps the running policy and says so', async () => {
    const running = t.sidecar.control.policy.current().running.version;
    fs.rmSync(file);
    const rejected = await waitFor(() => eventsOf(t, 'policy.rejected')[0]);
    expect((rejected.data['problems'] as Problem[])[0]).toMatchObject({ path: '(file)', code: 'unreadable' });
    expect(t.sidecar.control.policy.current().running.version).toBe(running);
  });
});

describe('start-up with a policy file', () => {
  it('refuses to start on an invalid policy file, listing every problem', async () => {
    const dir = tempDir('policy-start');
    const file = path.join(dir, 'p.yml');
    fs.writeFileSync(
      file,
      policyText({ rules: [{ name: 'x', type: 'threshold', metric: 'nope', op: '>>', value: 1 }] })
    );
    const err = await startTestSidecar({ overrides: { policy: { file } } }).then(
      () => null,
      (e: unknown) => e
    );
    expect(err).toBeInstanceOf(PolicyLoadError);
    expect((err as PolicyLoadError).problems.map((p) => p.path)).toEqual(['guardian.rules.0.op']);
  });

  it('refuses a config with both a policy file and inline rules', () => {
    expect(() =>
      loadConfig({
        env: {},
        overrides: {
          policy: { file: STARTER },
          guardian: { rules: [{ name: 'x', type: 'threshold', metric: 'a', op: '>', value: 1 }] },
        },
      })
    ).toThrow(ConfigError);
  });

  it('takes the file from LOOKOUT_POLICY_FILE', () => {
    expect(loadConfig({ env: { LOOKOUT_POLICY_FILE: STARTER } }).policy.file).toBe(STARTER);
  });
});
