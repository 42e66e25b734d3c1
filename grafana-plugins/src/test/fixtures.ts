import type {
  ActionPlan,
  ActionRecord,
  CalibrationImage,
  Diagnostic,
  DiagnosticDetail,
  DiagnosticsAnalytics,
  Generation,
  Incident,
  LineageResponse,
  LookoutEvent,
  StatusResponse,
} from '../api/types';

/** One fixed timestamp for every fixture, so tests never depend on the clock. */
export const FIXED_TS = '2026-11-21T12:00:00.000Z';

export function makeStatus(over: Partial<StatusResponse> = {}): StatusResponse {
  return {
    version: '0.1.0',
    node: 'node-a',
    started_at: FIXED_TS,
    uptime_s: 3600,
    auth: { token: 'grafana', role: 'admin' },
    kill_switch: { engaged: false, actor: null, reason: null, since: null },
    scheduler: { paused: false },
    incidents: { open: 0 },
    ...over,
  };
}

export function makeGeneration(id: string, parent: string | null, over: Partial<Generation> = {}): Generation {
  return {
    id,
    parent,
    created_at: FIXED_TS,
    status: 'retired',
    kpis: { sharpe: 1.2 },
    artifacts: [],
    notes: null,
    ...over,
  };
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
  return {
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
  };
}

export function makeImage(
  id: string,
  generation: string,
  kind = 'reliability',
  over: Partial<CalibrationImage> = {}
): CalibrationImage {
  return {
    id,
    generation,
    name: `${kind}.png`,
    kind,
    title: `${kind} ${generation}`,
    metric: 0.12,
    content_type: 'image/png',
    size: 1024,
    created_at: FIXED_TS,
    url: `api/v1/artifacts/calibration/${id}/image`,
    ...over,
  };
}

let seq = 0;
export function makeEvent(over: Partial<LookoutEvent> = {}): LookoutEvent {
  seq += 1;
  return {
    id: `01JEVENT${String(seq).padStart(6, '0')}`,
    ts: FIXED_TS,
    node: 'node-a',
    source: 'watcher',
    kind: 'file.changed',
    severity: 'info',
    subject: `activity/task-${seq}.json`,
    data: {},
    trace_id: null,
    actor: null,
    ...over,
  };
}

export function makePlan(over: Partial<ActionPlan> = {}): ActionPlan {
  return {
    plan_id: 'plan-1',
    action: 'kill',
    params: null,
    state: { kill_switch: false },
    changes: [{ field: 'kill_switch.engaged', from: false, to: true }],
    interlocks: [],
    allowed: true,
    expires_at: FIXED_TS,
    ...over,
  };
}

export function makeActionRecord(over: Partial<ActionRecord> = {}): ActionRecord {
  return {
    id: 'act-1',
    action: 'kill',
    status: 'applying',
    plan_id: 'plan-1',
    reason: 'drift',
    actor: 'grafana',
    created_at: FIXED_TS,
    updated_at: FIXED_TS,
    result: null,
    error: null,
    ...over,
  };
}

export function makeIncident(id: string, over: Partial<Incident> = {}): Incident {
  return {
    id,
    rule: 'drift_high',
    severity: 'critical',
    status: 'open',
    title: `Drift high (${id})`,
    opened_at: FIXED_TS,
    acknowledged_at: null,
    resolved_at: null,
    actor: null,
    note: null,
    diagnostic_id: null,
    ...over,
  };
}

export function makeDiagnostic(id: string, over: Partial<Diagnostic> = {}): Diagnostic {
  return {
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
  };
}

export function makeDiagnosticDetail(id: string, over: Partial<DiagnosticDetail> = {}): DiagnosticDetail {
  return {
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
  };
}

export function makeAnalytics(over: Partial<DiagnosticsAnalytics> = {}): DiagnosticsAnalytics {
  const none = { count: 0, median_s: null, p90_s: null };
  return {
    generated_at: FIXED_TS,
    range: { since: '2026-08-29T12:00:00.000Z', until: FIXED_TS },
    open_by_severity: { info: 1, warning: 2, critical: 1 },
    open_total: 4,
    overdue: 1,
    time_to_resolve: { info: none, warning: { count: 12, median_s: 7200, p90_s: 36_000 }, critical: none },
    weekly: [],
    estimate: null,
    ...over,
  };
}
