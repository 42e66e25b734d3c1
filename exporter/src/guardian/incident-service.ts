import type { SidecarContext } from '../context';
import type { Counter, Gauge, Histogram } from '../metrics/metrics-registry';
import { SLOW_BUCKETS } from '../metrics/metrics-registry';
import { type Incident, type IncidentSeverity, type IncidentStatus, IncidentsRepository } from './incidents-repository';

/** Thrown for ack/resolve from a status that does not allow it; carries the allowed transitions. */
export class IncidentTransitionError extends Error {
  override name = 'IncidentTransitionError';
  constructor(
    readonly from: IncidentStatus,
    readonly to: IncidentStatus,
    readonly allowed: IncidentStatus[]
  ) {
    super(`incident is ${from}; it cannot become ${to}`);
  }
}

export class IncidentNotFoundError extends Error {
  override name = 'IncidentNotFoundError';
}

const TRANSITIONS: Record<IncidentStatus, IncidentStatus[]> = {
  open: ['acknowledged', 'resolved'],
  acknowledged: ['resolved'],
  resolved: [],
};

export interface OpenIncidentInput {
  rule: string;
  severity: IncidentSeverity;
  title: string;
  open_diagnostic?: boolean;
  data?: Record<string, unknown>;
  actor?: string | null;
}

/** Incidents: open → acknowledged → resolved, each step an event in the guardian feed. */
export class IncidentService {
  readonly repo: IncidentsRepository;
  private readonly total: Counter<'severity'>;
  private readonly ackWait: Histogram<'severity'>;

  constructor(private readonly ctx: SidecarContext) {
    this.repo = new IncidentsRepository(ctx.db);
    const repo = this.repo;
    this.total = ctx.metrics.counter({
      name: 'lookout_incidents_total',
      help: 'Incidents opened, by severity',
      labelNames: ['severity'] as const,
    });
    ctx.metrics.gauge({
      name: 'lookout_incidents_open',
      help: 'Incidents not yet resolved, by severity',
      labelNames: ['severity'] as const,
      collect(this: Gauge<'severity'>) {
        for (const [severity, n] of Object.entries(repo.openCounts())) this.set({ severity }, n);
      },
    });
    this.ackWait = ctx.metrics.histogram({
      name: 'lookout_incident_ack_wait_seconds',
      help: 'Time from an incident opening to its acknowledgement',
      labelNames: ['severity'] as const,
      buckets: SLOW_BUCKETS,
    });
    ctx.status.section('incidents', () => {
      const c = repo.openCounts();
      return { open: c.warning + c.critical, open_by_severity: c };
    });
  }

  open(input: OpenIncidentInput): Incident {
    const now = new Date().toISOString();
    const incident: Omit<Incident, 'seq'> = {
      id: this.ctx.events.newId(),
      rule: input.rule,
      node: this.ctx.config.node,
      severity: input.severity,
      title: input.title,
      status: 'open',
      data: input.data ?? {},
      opened_at: now,
      acknowledged_at: null,
      acknowledged_by: null,
      ack_note: null,
      resolved_at: null,
      resolved_by: null,
      resolve_note: null,
    };
    const stored = this.ctx.db.transaction(() => {
      const row = this.repo.insert(incident);
      this.ctx.events.append({
        source: 'guardian',
        kind: 'incident.opened',
        severity: input.severity,
        subject: incident.id,
        actor: input.actor ?? null,
        data: {
          incident_id: incident.id,
          rule: incident.rule,
          node: incident.node,
          severity: incident.severity,
          title: incident.title,
          open_diagnostic: input.open_diagnostic ?? false,
          ...input.data,
        },
      });
      return row;
    })();
    this.total.inc({ severity: input.severity });
    return stored;
  }

  get(id: string): Incident | undefined {
    return this.repo.get(id);
  }

  acknowledge(id: string, actor: string, note: string | null): Incident {
    return this.transition(id, 'acknowledged', actor, note);
  }

  resolve(id: string, actor: string, note: string | null): Incident {
    return this.transition(id, 'resolved', actor, note);
  }

  /**
   * Merges `patch` into an unresolved incident's data (an alert whose annotations changed) and records
   * it as `incident.updated`. A resolved incident is history: it is returned unchanged.
   */
  update(id: string, patch: Record<string, unknown>, actor: string | null): Incident {
    return this.ctx.db.transaction(() => {
      const cur = this.repo.get(id);
      if (!cur) throw new IncidentNotFoundError(`incident ${id} not found`);
      if (cur.status === 'resolved') return cur;
      this.repo.setData(id, { ...cur.data, ...patch });
      this.ctx.events.append({
        source: 'guardian',
        kind: 'incident.updated',
        severity: 'info',
        subject: id,
        actor,
        data: { incident_id: id, rule: cur.rule, severity: cur.severity, changed: Object.keys(patch) },
      });
      return this.repo.get(id)!;
    })();
  }

  hasOpenCritical(): boolean {
    return this.repo.openCounts().critical > 0;
  }

  private transition(id: string, to: IncidentStatus, actor: string, note: string | null): Incident {
    return this.ctx.db.transaction(() => {
      const cur = this.repo.get(id);
      if (!cur) throw new IncidentNotFoundError(`incident ${id} not found`);
      const allowed = TRANSITIONS[cur.status];
      if (!allowed.includes(to)) throw new IncidentTransitionError(cur.status, to, allowed);
      const now = new Date().toISOString();
      if (to === 'acknowledged') {
        this.repo.update(id, { status: to, acknowledged_at: now, acknowledged_by: actor, ack_note: note });
        this.ackWait.observe({ severity: cur.severity }, (Date.parse(now) - Date.parse(cur.opened_at)) / 1000);
      } else {
        this.repo.update(id, { status: to, resolved_at: now, resolved_by: actor, resolve_note: note });
      }
      this.ctx.events.append({
        source: 'guardian',
        kind: to === 'acknowledged' ? 'incident.acknowledged' : 'incident.resolved',
        severity: 'info',
        subject: id,
        actor,
        data: { incident_id: id, rule: cur.rule, severity: cur.severity, actor, note },
      });
      return this.repo.get(id)!;
    })();
  }
}
