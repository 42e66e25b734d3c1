import type {
  ActionPlan,
  ActionRecord,
  Agent,
  AuditEntry,
  BacktestFire,
  BacktestResult,
  BacktestRun,
  CalibrationImage,
  Decision,
  Diagnostic,
  DiagnosticDetail,
  FleetApplied,
  FleetNode,
  FleetPlan,
  FleetPlanNode,
  FleetResponse,
  DiagnosticsAnalytics,
  Generation,
  Incident,
  LineageResponse,
  LookoutEvent,
  PolicyResponse,
  StatusResponse,
  WhoamiResponse,
  Task,
} from '../api';
import { conforming } from './contract';

/**
 * Fixture factories. Each one checks what it returns — overrides included — against the answer schema of the route
 * that sends it (docs/openapi.json), so a test cannot be built on a body the sidecar could not send.
 */

/** One fixed timestamp for every fixture, so tests never depend on the clock. */
export const FIXED_TS = '2026-11-21T12:00:00.000Z';

export function makeStatus(over: Partial<StatusResponse> = {}): StatusResponse {
  return conforming(
    {
      version: '0.1.0',
      node: 'node-a',
      started_at: FIXED_TS,
      uptime_s: 3600,
      auth: {
        actor: 'grafana:admin@example.org',
        role: 'admin',
        token: 'grafana',
        token_role: 'grafana',
        grafana_user: 'admin@example.org',
        grafana_org_id: 1,
      },
      events: { stored: 120, last_id: '01JEVENT000000000000000000' },
      lineage: { model: 'policy', active: 'g2', canary: 'g3', generations: 3 },
      kill_switch: { engaged: false, actor: null, reason: null, since: null },
      scheduler: { paused: false, actor: null, reason: null, since: null },
      incidents: { open: 0 },
      workload_telemetry: {
        newest_ts: FIXED_TS,
        age_s: 2,
        ttl_s: 300,
        stale: false,
        series: { fresh: 47, stale: 0 },
        series_limit: 10000,
      },
      policy: {
        version: '3f2a9c0d1e4b5a67',
        source: { kind: 'file', path: '/etc/lookout/policies/starter.yml' },
        loaded_at: FIXED_TS,
        last_error: null,
      },
      ...over,
    },
    'GET /api/v1/status'
  );
}

/** `GET /api/v1/policy`: a small policy file with one rule of each kind the page shows. */
export function makePolicy(over: Partial<PolicyResponse> = {}): PolicyResponse {
  return conforming(
    {
      version: '3f2a9c0d1e4b5a67',
      source: { kind: 'file', path: '/etc/lookout/policies/starter.yml' },
      loaded_at: FIXED_TS,
      guardian: {
        rules: [
          {
            name: 'pnl_drawdown_kill',
            type: 'threshold',
            severity: 'critical',
            title: 'Drawdown above 1,500 USD',
            reason: 'A loss outside the risk budget: stop first, ask later.',
            runbook: 'https://github.com/lookout-dev/lookout/blob/main/docs/runbooks/policy-pnl-drawdown.md',
            shadow: false,
            playbook: [{ do: 'playbook', name: 'halt' }],
          },
          {
            name: 'correlation_spike',
            type: 'threshold',
            severity: 'warning',
            title: null,
            reason: 'Diversification is gone.',
            runbook: null,
            shadow: true,
            playbook: [{ do: 'notify' }],
          },
        ],
        playbooks: { halt: [{ do: 'kill_switch' }, { do: 'pause_scheduler' }, { do: 'notify' }] },
      },
      scheduler: {
        policies: [
          {
            name: 'retrain_on_drift',
            type: 'drift',
            title: null,
            reason: 'Retrain before drift costs money.',
            runbook: 'https://github.com/lookout-dev/lookout/blob/main/docs/runbooks/policy-retrain-on-drift.md',
          },
        ],
      },
      signals: { drift_score: { type: 'gauge', labels: [] } },
      text: 'guardian:\n  rules: []\n',
      warnings: [],
      last_error: null,
      ...over,
    },
    'GET /api/v1/policy'
  );
}

/** `GET /api/v1/whoami` for a Grafana user acting through the grafana delegation token (an Editor by default). */
export function makeWhoami(over: Partial<WhoamiResponse> = {}): WhoamiResponse {
  return conforming(
    {
      actor: 'grafana:editor@example.org',
      role: 'operator',
      token: { name: 'grafana', role: 'grafana' },
      grafana: {
        login: 'editor@example.org',
        org_id: 1,
        org_role: 'Editor',
        is_grafana_admin: false,
        mapped_role: 'operator',
        id_token: 'not_configured',
      },
      ceiling: 'admin',
      warnings: [],
      ...over,
    },
    'GET /api/v1/whoami'
  );
}

export function makeGeneration(id: string, parent: string | null, over: Partial<Generation> = {}): Generation {
  return conforming(
    { id, parent, created_at: FIXED_TS, status: 'retired', kpis: { sharpe: 1.2 }, artifacts: [], ...over },
    'GET /api/v1/lineage',
    ['generations', '[]']
  );
}

/** A chain g0 → g1 → … with a branch every `branchEvery` generations. */
export function makeGenerations(n: number, branchEvery = 0): Generation[] {
  const out: Generation[] = [];
  for (let i = 0; i < n; i++) {
    const parent = i === 0 ? null : branchEvery && i % branchEvery === 0 ? `g${i - 2}` : `g${i - 1}`;
    const created = new Date(Date.parse(FIXED_TS) + i * 60_000).toISOString();
    out.push(makeGeneration(`g${i}`, parent, { created_at: created }));
  }
  return out;
}

export function makeLineage(over: Partial<LineageResponse> = {}): LineageResponse {
  return conforming(
    {
      model: 'policy',
      generations: [
        makeGeneration('g1', null, { status: 'retired' }),
        makeGeneration('g2', 'g1', { status: 'active', kpis: { sharpe: 1.8, drawdown: 0.04 } }),
        makeGeneration('g3', 'g2', { status: 'canary', notes: 'tighter stops' }),
      ],
      active: 'g2',
      canary: 'g3',
      updated_at: FIXED_TS,
      ...over,
    },
    'GET /api/v1/lineage'
  );
}

export function makeImage(
  id: string,
  generation: string,
  kind = 'reliability',
  over: Partial<CalibrationImage> = {}
): CalibrationImage {
  return conforming(
    {
      id,
      generation,
      name: `${kind}.png`,
      kind,
      title: `${kind} ${generation}`,
      metric: 'ece',
      content_type: 'image/png',
      size: 1024,
      created_at: FIXED_TS,
      updated_at: FIXED_TS,
      etag: `etag-${id}`,
      url: `api/v1/artifacts/calibration/${id}/image`,
      ...over,
    },
    'GET /api/v1/artifacts/calibration',
    ['items', '[]']
  );
}

let seq = 0;
export function makeEvent(over: Partial<LookoutEvent> = {}): LookoutEvent {
  seq += 1;
  return conforming(
    {
      id: `01JEVENT${String(seq).padStart(18, '0')}`,
      ts: FIXED_TS,
      node: 'node-a',
      source: 'watcher',
      kind: 'file.changed',
      severity: 'info',
      subject: `activity/task-${seq}.json`,
      data: {},
      trace_id: `trace-${seq}`,
      actor: null,
      ...over,
    },
    'GET /api/v1/feeds/{feed}',
    ['items', '[]']
  );
}

export function makePlan(over: Partial<ActionPlan> = {}): ActionPlan {
  return conforming(
    {
      plan_id: 'plan-1',
      action: 'kill',
      params: {},
      state: { kill_switch: false },
      changes: [{ field: 'kill_switch.engaged', from: false, to: true }],
      interlocks: [],
      allowed: true,
      break_glass: false,
      fingerprint: 'fp-1',
      created_at: FIXED_TS,
      expires_at: FIXED_TS,
      evidence: null,
      ...over,
    },
    'POST /api/v1/actions/{name}/plan'
  );
}

export function makeActionRecord(over: Partial<ActionRecord> = {}): ActionRecord {
  return conforming(
    {
      id: 'act-1',
      action: 'kill',
      status: 'applying',
      trigger: 'api',
      plan_id: 'plan-1',
      params: {},
      reason: 'drift',
      actor: 'grafana',
      executor: 'bus',
      expect: null,
      result: null,
      error: null,
      verification: null,
      break_glass: false,
      decision_id: null,
      incident_id: null,
      created_at: FIXED_TS,
      updated_at: FIXED_TS,
      applied_at: null,
      finished_at: null,
      ...over,
    },
    'GET /api/v1/actions/{id}'
  );
}

export function makeIncident(id: string, over: Partial<Incident> = {}): Incident {
  return conforming(
    {
      id,
      rule: 'drift_high',
      node: 'node-a',
      severity: 'critical',
      status: 'open',
      title: `Drift high (${id})`,
      data: {},
      opened_at: FIXED_TS,
      acknowledged_at: null,
      acknowledged_by: null,
      ack_note: null,
      resolved_at: null,
      resolved_by: null,
      resolve_note: null,
      diagnostic_id: null,
      ...over,
    },
    'GET /api/v1/incidents/{id}'
  );
}

export function makeDiagnostic(id: string, over: Partial<Diagnostic> = {}): Diagnostic {
  return conforming(
    {
      id,
      title: `Disk filling up (${id})`,
      description: 'The data volume grows 2 GB a day.',
      severity: 'warning',
      status: 'open',
      assignee: null,
      due_at: null,
      overdue: false,
      tags: ['disk'],
      component: 'storage',
      roadmap_url: null,
      origin: 'api',
      rule: null,
      node: null,
      created_by: 'grafana/alice',
      created_at: FIXED_TS,
      updated_at: FIXED_TS,
      resolved_at: null,
      closed_at: null,
      ...over,
    },
    'GET /api/v1/diagnostics',
    ['items', '[]']
  );
}

export function makeDiagnosticDetail(id: string, over: Partial<DiagnosticDetail> = {}): DiagnosticDetail {
  return conforming(
    {
      ...makeDiagnostic(id),
      comments: [],
      history: [
        {
          seq: 1,
          ts: FIXED_TS,
          actor: 'grafana/alice',
          action: 'created',
          changes: { status: { from: null, to: 'open' } },
          note: null,
        },
      ],
      incidents: [],
      allowed_transitions: ['in_progress', 'resolved', 'closed'],
      can_reopen: false,
      estimate: null,
      ...over,
    },
    'GET /api/v1/diagnostics/{id}'
  );
}

export function makeAnalytics(over: Partial<DiagnosticsAnalytics> = {}): DiagnosticsAnalytics {
  const none = { count: 0, median_s: null, p90_s: null };
  return conforming(
    {
      generated_at: FIXED_TS,
      range: { since: '2026-08-29T12:00:00.000Z', until: FIXED_TS },
      open_by_severity: { info: 1, warning: 2, critical: 1 },
      open_total: 4,
      overdue: 1,
      time_to_resolve: { info: none, warning: { count: 12, median_s: 7200, p90_s: 36_000 }, critical: none },
      weekly: [],
      estimate: null,
      ...over,
    },
    'GET /api/v1/diagnostics/analytics'
  );
}

export function makeDecision(id: string, over: Partial<Decision> = {}): Decision {
  return conforming(
    {
      id,
      ts: FIXED_TS,
      policy: 'drift_retrain',
      policy_type: 'condition',
      rule_version: '1',
      verdict: 'act',
      reason: 'drift_score 0.91 > 0.8 for 10m',
      action: 'retrain',
      action_id: null,
      inputs: { drift_score: 0.91 },
      thresholds: { drift_score: 0.8 },
      ...over,
    },
    'GET /api/v1/decisions/{id}'
  );
}

export function makeAgent(name: string, over: Partial<Agent> = {}): Agent {
  return conforming(
    {
      name,
      capabilities: ['analyze'],
      priority_score: 1,
      status: 'idle',
      max_tasks: 1,
      load: 0,
      heartbeat_window_s: 30,
      last_heartbeat: FIXED_TS,
      heartbeat_age_s: 3,
      performance: {},
      metadata: {},
      registered_at: FIXED_TS,
      updated_at: FIXED_TS,
      draining: false,
      ...over,
    },
    'GET /api/v1/agents',
    ['items', '[]']
  );
}

export function makeTask(id: number, over: Partial<Task> = {}): Task {
  return conforming(
    {
      id,
      title: `Task ${id}`,
      description: '',
      priority: 0,
      category: null,
      estimated_duration: null,
      required_capabilities: [],
      dependencies: [],
      status: 'queued',
      agent: null,
      created_by: 'operator',
      created_at: FIXED_TS,
      queued_at: FIXED_TS,
      assigned_at: null,
      started_at: null,
      completed_at: null,
      actual_duration: null,
      requeues: 0,
      updated_at: FIXED_TS,
      max_attempts: 3,
      attempts: 0,
      failures: 0,
      retry_at: null,
      lease_expires_at: null,
      last_error: null,
      ...over,
    },
    'GET /api/v1/tasks',
    ['items', '[]']
  );
}

export function makeAuditEntry(id: string, over: Partial<AuditEntry> = {}): AuditEntry {
  return conforming(
    {
      id,
      ts: FIXED_TS,
      actor: 'grafana:admin@example.org',
      token: 'grafana',
      token_role: 'grafana',
      grafana_user: 'admin@example.org',
      grafana_org_id: 1,
      grafana_org_role: 'Admin',
      role: 'admin',
      method: 'POST',
      path: '/api/v1/actions/kill/apply',
      route: '/api/v1/actions/:name/apply',
      action: 'kill',
      reason: 'drift',
      status: 202,
      result: 'accepted',
      request_id: null,
      ...over,
    },
    'GET /api/v1/audit',
    ['items', '[]']
  );
}

export function makeFleetNode(node: string, over: Partial<FleetNode> = {}): FleetNode {
  return conforming(
    {
      node,
      state: 'up',
      heartbeat_at: FIXED_TS,
      heartbeat_age_ms: 800,
      version: '0.1.0',
      url: `http://${node}:9469`,
      group: 'default',
      labels: { region: 'eu' },
      hub: false,
      follow_kill: true,
      fail_safe: false,
      started_at: FIXED_TS,
      kill: { engaged: false, actor: null, reason: null, since: null },
      kill_by_fleet: false,
      fleet_kill: null,
      selected: false,
      converged: true,
      fleet_state_readable: true,
      outbox: { pending: 0, cursor_seq: 120 },
      last_event: { id: '01JEVENT000000000000000000', ts: FIXED_TS, kind: 'heartbeat', received_at: FIXED_TS },
      hub_behind: false,
      leases: [],
      ...over,
    },
    'GET /api/v1/fleet',
    ['nodes', '[]']
  );
}

export function makeFleet(over: Partial<FleetResponse> = {}): FleetResponse {
  return conforming(
    {
      hub: 'hub-1',
      generated_at: FIXED_TS,
      kill: { readable: true, revision: 0, state: null },
      nodes: [makeFleetNode('trader-1'), makeFleetNode('trader-2', { labels: { region: 'us' } })],
      leases: [
        {
          lease: 'default.scheduler',
          revision: 12,
          holder: 'trader-1/abc123',
          node: 'trader-1',
          group: 'default',
          name: 'scheduler',
          acquired_at: FIXED_TS,
          claimed_at: FIXED_TS,
          valid_until: FIXED_TS,
        },
      ],
      consumer: { pending: 0, last_error: null },
      ...over,
    },
    'GET /api/v1/fleet'
  );
}

export function makeFleetPlanNode(node: string, over: Partial<FleetPlanNode> = {}): FleetPlanNode {
  return {
    node,
    state: 'up',
    labels: { region: 'eu' },
    selected: true,
    from: { engaged: false },
    to: { engaged: true },
    change: true,
    note: null,
    ...over,
  };
}

export function makeFleetPlan(over: Partial<FleetPlan> = {}): FleetPlan {
  return conforming(
    {
      plan_id: '01JFLEETPLAN00000000000000',
      action: 'kill',
      selector: null,
      revision: 4,
      current: null,
      nodes: [makeFleetPlanNode('trader-1'), makeFleetPlanNode('trader-2', { labels: { region: 'us' } })],
      interlocks: [],
      allowed: true,
      actor: 'grafana:admin',
      created_at: FIXED_TS,
      expires_at: FIXED_TS,
      ...over,
    },
    'POST /api/v1/fleet/actions/{name}/plan'
  );
}

export function makeFleetApplied(plan: FleetPlan, revision: number): FleetApplied {
  return conforming(
    {
      plan_id: plan.plan_id,
      action: plan.action,
      revision,
      state: {
        engaged: plan.action === 'kill',
        selector: plan.selector,
        actor: 'grafana:admin',
        role: 'admin',
        reason: 'drill',
        plan_id: plan.plan_id,
        hub: 'hub-1',
        updated_at: FIXED_TS,
      },
      nodes: plan.nodes,
      applied_at: FIXED_TS,
    },
    'POST /api/v1/fleet/actions/{name}/apply',
    [],
    202
  );
}

export function makeBacktestRun(id: string, over: Partial<BacktestRun> = {}): BacktestRun {
  return conforming(
    {
      id,
      status: 'succeeded',
      actor: 'grafana:editor',
      source: 'store',
      range_from: '2026-11-21T09:00:00.000Z',
      range_to: '2026-11-21T10:00:00.000Z',
      tick_ms: 5000,
      rules_from: 'running',
      policy_version: '3f2a9c0d1e4b5a67',
      request: { rules: [], playbooks: {}, only: null, tolerance_ms: 5000, match_window_ms: 300000 },
      ticks_total: 721,
      ticks_done: 721,
      progress: 1,
      summary: { fires: 2 },
      error: null,
      created_at: FIXED_TS,
      finished_at: FIXED_TS,
      ...over,
    },
    'GET /api/v1/backtests/{id}'
  );
}

/**
 * An ended backtest of two rules over an hour: drift_high would fire twice (once where it really fired, once more),
 * the shadow rule once; what really happened adds a fire the backtest does not make.
 */
export function makeBacktestResult(id: string, over: Partial<BacktestResult> = {}): BacktestResult {
  const at = (min: number): string => new Date(Date.parse('2026-11-21T09:00:00.000Z') + min * 60_000).toISOString();
  const fire = (rule: string, min: number, shadow: boolean, value: number, incident: BacktestFire['incident']) => ({
    rule,
    at: at(min),
    at_ms: Date.parse(at(min)),
    shadow,
    rule_version: `${rule}-v1`,
    severity: 'warning',
    verdict: 'fail',
    no_data: false,
    observed: { metric: 'drift_score', aggregate: 'any', value, series: 1, meeting: 1, held_ms: 60000, for_ms: 60000 },
    thresholds: { metric: 'drift_score', aggregate: 'any', op: '>', value: 0.6, for_ms: 60000 },
    incident,
    steps: shadow ? [{ do: 'kill_switch' }] : [{ do: 'pause_scheduler' }, { do: 'notify' }],
    step_errors: [],
  });
  const stats = (rule: string, fires: number) => ({
    rule,
    ticks: 721,
    pass: 700,
    fail: 21 - fires,
    inconclusive: fires,
    no_data_ticks: 0,
    fires,
    recoveries: 1,
  });
  return conforming(
    {
      id,
      source: 'store',
      range: { from: at(0), to: at(60) },
      tick_ms: 5000,
      rules_from: 'running',
      policy_version: '3f2a9c0d1e4b5a67',
      summary: {
        rules: 2,
        skipped: 0,
        ticks: 721,
        fires: 2,
        shadow_fires: 1,
        would: { incidents: 1, kills: 0, pauses: 2, actions: 0, notifications: 2 },
        shadow_would: { kills: 1, pauses: 0, actions: 0, notifications: 0 },
        real: { fires: 2, incidents: 1, kills: 0 },
        comparison: { same: 1, earlier: 0, later: 0, added: 2, removed: 1 },
        no_data: false,
        partial: false,
      },
      rules: [
        {
          name: 'drift_high',
          type: 'threshold',
          shadow: false,
          severity: 'warning',
          rule_version: 'drift_high-v1',
          metric: 'drift_score',
          op: '>',
          value: 0.6,
          aggregate: 'any',
          stats: stats('drift_high', 2),
          no_data: { ticks: 0, verdict: 'inconclusive', message: null },
        },
        {
          name: 'corr_shadow',
          type: 'threshold',
          shadow: true,
          severity: 'warning',
          rule_version: 'corr_shadow-v1',
          metric: 'symbol_correlation',
          op: '>',
          value: 0.6,
          aggregate: 'avg',
          stats: stats('corr_shadow', 1),
          no_data: {
            ticks: 12,
            verdict: 'inconclusive',
            message: 'no data on 12 of 721 ticks: no_data is inconclusive: the rule cannot fire on them',
          },
        },
      ],
      skipped: [],
      fires: [
        fire('drift_high', 10, false, 0.71, { key: 'drift_high#1', opened: true }),
        fire('corr_shadow', 20, true, 0.8, null),
        fire('drift_high', 40, false, 0.75, { key: 'drift_high#1', opened: false }),
      ],
      fires_truncated: 0,
      would: {
        incidents: [
          {
            key: 'drift_high#1',
            rule: 'drift_high',
            severity: 'warning',
            title: null,
            opened_at: at(10),
            resolved_at: null,
            fires: 2,
          },
        ],
        steps: [
          { at: at(10), rule: 'drift_high', shadow: false, step: { do: 'pause_scheduler' }, incident: 'drift_high#1' },
          { at: at(10), rule: 'drift_high', shadow: false, step: { do: 'notify' }, incident: 'drift_high#1' },
          { at: at(20), rule: 'corr_shadow', shadow: true, step: { do: 'kill_switch' }, incident: null },
        ],
        steps_truncated: 0,
      },
      real: {
        fires: [
          {
            rule: 'drift_high',
            at: at(10),
            at_ms: Date.parse(at(10)),
            shadow: false,
            rule_version: 'drift_high-v1',
            incident_id: 'inc-1',
          },
          {
            rule: 'drift_high',
            at: at(50),
            at_ms: Date.parse(at(50)),
            shadow: false,
            rule_version: 'drift_high-v0',
            incident_id: 'inc-2',
          },
        ],
        incidents: [
          {
            id: 'inc-1',
            rule: 'drift_high',
            severity: 'warning',
            title: 'Model drift',
            opened_at: at(10),
            resolved_at: at(30),
          },
        ],
        kills: [],
      },
      comparison: {
        tolerance_ms: 5000,
        match_window_ms: 300000,
        items: [
          {
            rule: 'drift_high',
            kind: 'same',
            backtest_at: at(10),
            real_at: at(10),
            delta_ms: 0,
            real_incident_id: 'inc-1',
            shadow: false,
          },
          {
            rule: 'corr_shadow',
            kind: 'added',
            backtest_at: at(20),
            real_at: null,
            delta_ms: null,
            real_incident_id: null,
            shadow: true,
          },
          {
            rule: 'drift_high',
            kind: 'added',
            backtest_at: at(40),
            real_at: null,
            delta_ms: null,
            real_incident_id: null,
            shadow: false,
          },
          {
            rule: 'drift_high',
            kind: 'removed',
            backtest_at: null,
            real_at: at(50),
            delta_ms: null,
            real_incident_id: 'inc-2',
            shadow: false,
          },
        ],
        summary: { same: 1, earlier: 0, later: 0, added: 2, removed: 1 },
      },
      chart: {
        drift_high: Array.from({ length: 12 }, (_, i) => ({
          t: at(i * 5),
          min: 0.3 + i * 0.01,
          max: 0.5 + (i % 3) * 0.1,
        })),
        corr_shadow: Array.from({ length: 12 }, (_, i) => ({ t: at(i * 5), min: 0.2, max: 0.4 + (i % 4) * 0.1 })),
      },
      flushes_replayed: [at(35)],
      data: { rows: 2884, series: 3, message: null },
      partial: null,
      ...over,
    },
    'GET /api/v1/backtests/{id}/result'
  );
}
