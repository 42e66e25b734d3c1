import type { SidecarContext } from '../context';
import type { Counter } from '../metrics/metrics-registry';
import type { IncidentService } from '../guardian/incident-service';
import { AlertNotificationsRepository } from './alert-notifications-repository';
import type { WebhookAlert, WebhookNotification, WebhookResult } from './alertmanager-webhook';

type Outcome = 'opened' | 'updated' | 'resolved' | 'unchanged' | 'ignored';

/** An incident's rule for an alert: `alertmanager:<alertname>` (never a guardian rule name). */
export const alertRule = (alertname: string): string => `alertmanager:${alertname}`.slice(0, 200);

/**
 * Turns Alertmanager notifications into incidents. One firing episode of an alert (its fingerprint and
 * startsAt) is one incident: the first firing notification opens it (and a diagnostic where
 * configured), a later one with changed annotations or labels updates it, a resolved one resolves it.
 * Anything already known in that state changes nothing, so repeats and replays are harmless.
 */
export class AlertmanagerService {
  readonly repo: AlertNotificationsRepository;
  private readonly alerts: Counter<'status' | 'outcome'>;

  constructor(
    private readonly ctx: SidecarContext,
    private readonly incidents: IncidentService
  ) {
    this.repo = new AlertNotificationsRepository(ctx.db);
    this.alerts = ctx.metrics.counter({
      name: 'lookout_alertmanager_alerts_total',
      help: 'Alerts received from Alertmanager, by status (firing, resolved) and outcome (opened, updated, resolved, unchanged, ignored)',
      labelNames: ['status', 'outcome'] as const,
    });
  }

  receive(n: WebhookNotification, actor: string): WebhookResult {
    const out: WebhookResult = {
      received: n.alerts.length,
      opened: [],
      updated: [],
      resolved: [],
      unchanged: 0,
      ignored: 0,
    };
    this.ctx.db.transaction(() => {
      for (const alert of n.alerts) {
        const { outcome, incidentId } = this.one(alert, n, actor);
        this.alerts.inc({ status: alert.status, outcome });
        if (outcome === 'unchanged') out.unchanged++;
        else if (outcome === 'ignored') out.ignored++;
        else out[outcome].push(incidentId!);
      }
    })();
    return out;
  }

  private one(alert: WebhookAlert, n: WebhookNotification, actor: string): { outcome: Outcome; incidentId?: string } {
    const alertname = alert.labels['alertname']!;
    if (this.ctx.config.alertmanager.ignore_alertnames.includes(alertname)) return { outcome: 'ignored' };
    const now = new Date().toISOString();
    const known = this.repo.get(alert.fingerprint, alert.startsAt);
    const endsAt = alert.endsAt && !alert.endsAt.startsWith('0001-') ? alert.endsAt : null;
    const row = {
      fingerprint: alert.fingerprint,
      starts_at: alert.startsAt,
      alertname,
      status: alert.status,
      incident_id: known?.incident_id ?? null,
      labels: alert.labels,
      annotations: alert.annotations,
      ends_at: endsAt,
      received_at: known?.received_at ?? now,
      updated_at: now,
    };
    if (alert.status === 'firing') {
      if (!known) {
        const incident = this.incidents.open({
          rule: alertRule(alertname),
          severity: alert.labels['severity'] === 'critical' ? 'critical' : 'warning',
          title: (alert.annotations['summary'] || alertname).slice(0, 200),
          open_diagnostic: this.opensDiagnostic(alert),
          actor,
          data: this.incidentData(alert, n),
        });
        this.repo.upsert({ ...row, incident_id: incident.id });
        return { outcome: 'opened', incidentId: incident.id };
      }
      if (known.status === 'resolved') return { outcome: 'unchanged' };
      const changed =
        JSON.stringify(known.annotations) !== JSON.stringify(alert.annotations) ||
        JSON.stringify(known.labels) !== JSON.stringify(alert.labels);
      if (!changed) return { outcome: 'unchanged' };
      this.repo.upsert(row);
      if (known.incident_id) this.incidents.update(known.incident_id, this.incidentData(alert, n), actor);
      return { outcome: 'updated', incidentId: known.incident_id ?? undefined };
    }
    // Resolved.
    if (known?.status === 'resolved') return { outcome: 'unchanged' };
    this.repo.upsert(row);
    const incident = known?.incident_id ? this.incidents.get(known.incident_id) : undefined;
    if (!incident || incident.status === 'resolved') return { outcome: 'unchanged' };
    this.incidents.resolve(incident.id, actor, `resolved in Alertmanager${endsAt ? ` at ${endsAt}` : ''}`);
    return { outcome: 'resolved', incidentId: incident.id };
  }

  private opensDiagnostic(alert: WebhookAlert): boolean {
    const mode = this.ctx.config.alertmanager.open_diagnostic;
    return mode === 'always' || (mode === 'critical' && alert.labels['severity'] === 'critical');
  }

  private incidentData(alert: WebhookAlert, n: WebhookNotification): Record<string, unknown> {
    return {
      source: 'alertmanager',
      alert: {
        alertname: alert.labels['alertname'],
        fingerprint: alert.fingerprint,
        starts_at: alert.startsAt,
        labels: alert.labels,
        annotations: alert.annotations,
        generator_url: alert.generatorURL,
        receiver: n.receiver,
        external_url: n.externalURL,
      },
      ...(alert.annotations['description'] ? { description: alert.annotations['description'] } : {}),
      ...(alert.annotations['runbook_url'] ? { runbook: alert.annotations['runbook_url'] } : {}),
    };
  }
}
