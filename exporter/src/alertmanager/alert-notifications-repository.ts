import { type Db, prepareCached } from '../store/database';

/** One Alertmanager alert as the sidecar last heard it (fingerprint + startsAt is one firing episode). */
export interface AlertNotification {
  fingerprint: string;
  starts_at: string;
  alertname: string;
  status: 'firing' | 'resolved';
  incident_id: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ends_at: string | null;
  received_at: string;
  updated_at: string;
}

type Row = Omit<AlertNotification, 'labels' | 'annotations'> & { labels: string; annotations: string };

export class AlertNotificationsRepository {
  constructor(private readonly db: Db) {}

  get(fingerprint: string, startsAt: string): AlertNotification | undefined {
    const r = prepareCached(this.db, 'SELECT * FROM alert_notifications WHERE fingerprint = ? AND starts_at = ?').get(
      fingerprint,
      startsAt
    ) as Row | undefined;
    return r
      ? {
          ...r,
          labels: JSON.parse(r.labels) as Record<string, string>,
          annotations: JSON.parse(r.annotations) as Record<string, string>,
        }
      : undefined;
  }

  upsert(n: AlertNotification): void {
    prepareCached(
      this.db,
      `INSERT INTO alert_notifications (fingerprint, starts_at, alertname, status, incident_id, labels, annotations,
         ends_at, received_at, updated_at)
       VALUES (@fingerprint, @starts_at, @alertname, @status, @incident_id, @labels, @annotations, @ends_at,
         @received_at, @updated_at)
       ON CONFLICT(fingerprint, starts_at) DO UPDATE SET status = excluded.status, incident_id = excluded.incident_id,
         labels = excluded.labels, annotations = excluded.annotations, ends_at = excluded.ends_at,
         updated_at = excluded.updated_at`
    ).run({ ...n, labels: JSON.stringify(n.labels), annotations: JSON.stringify(n.annotations) });
  }
}
