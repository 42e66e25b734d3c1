import type { MetricsRegistry } from '../metrics/metrics-registry';
import { DIAGNOSTIC_SEVERITIES, NOTIFICATION_KINDS } from './diagnostic';
import type { DiagnosticsRepository } from './diagnostics-repository';

/** Diagnostics take hours to weeks: buckets from 5 minutes to 30 days, in seconds. */
export const RESOLUTION_BUCKETS = [
  300,
  900,
  1800,
  3600,
  4 * 3600,
  8 * 3600,
  86400,
  2 * 86400,
  3 * 86400,
  7 * 86400,
  14 * 86400,
  30 * 86400,
];

/** lookout_diagnostics_*: open and overdue counts are read from the store at scrape time. */
export function createDiagnosticsMetrics(reg: MetricsRegistry, repo: DiagnosticsRepository, now: () => Date) {
  const notifications = reg.counter({
    name: 'lookout_diagnostics_notifications_total',
    help: 'Diagnostics notifications sent (event + NATS), by kind: assigned, due_soon, overdue',
    labelNames: ['kind'] as const,
  });
  const webhookDeliveries = reg.counter({
    name: 'lookout_diagnostics_webhook_deliveries_total',
    help: 'Diagnostics webhook POSTs by outcome: delivered, or failed after the bounded retries',
    labelNames: ['outcome'] as const,
  });
  // Present from the first scrape, so rate() and absent() behave before the first notification.
  for (const kind of NOTIFICATION_KINDS) notifications.inc({ kind }, 0);
  for (const outcome of ['delivered', 'failed']) webhookDeliveries.inc({ outcome }, 0);
  return {
    open: reg.gauge({
      name: 'lookout_diagnostics_open',
      help: 'Diagnostics open or in progress, by severity',
      labelNames: ['severity'] as const,
      collect() {
        const counts = repo.activeBySeverity();
        for (const s of DIAGNOSTIC_SEVERITIES) this.set({ severity: s }, counts[s]);
      },
    }),
    overdue: reg.gauge({
      name: 'lookout_diagnostics_overdue',
      help: 'Diagnostics open or in progress whose due date has passed',
      collect() {
        this.set(repo.overdueCount(now().toISOString()));
      },
    }),
    resolutionSeconds: reg.histogram({
      name: 'lookout_diagnostics_resolution_seconds',
      help: 'Time from a diagnostic being opened to being resolved, by severity',
      labelNames: ['severity'] as const,
      buckets: RESOLUTION_BUCKETS,
    }),
    notifications,
    webhookDeliveries,
  };
}
export type DiagnosticsMetrics = ReturnType<typeof createDiagnosticsMetrics>;
