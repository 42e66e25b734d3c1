import { z } from 'zod';

/**
 * Alertmanager's webhook notification, version 4 (prometheus/alertmanager notify/webhook): one group
 * of alerts, firing or resolved. Unknown fields are allowed (later Alertmanager versions add some);
 * what the sidecar acts on is required and checked.
 */
const labelSet = z.record(z.string().max(256), z.string().max(8192));

export const webhookAlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet.refine((l) => typeof l['alertname'] === 'string' && l['alertname'].length > 0, {
    message: 'labels.alertname is required',
  }),
  annotations: labelSet.default({}),
  startsAt: z.iso.datetime({ offset: true }).describe('When the alert started firing (RFC 3339)'),
  endsAt: z.string().max(64).default('').describe('When it ended; the zero time while firing'),
  generatorURL: z.string().max(4096).default(''),
  fingerprint: z
    .string()
    .regex(/^[0-9a-f]{1,64}$/, 'a fingerprint is hexadecimal (Alertmanager computes it from the labels)'),
});
export type WebhookAlert = z.infer<typeof webhookAlertSchema>;

export const webhookNotificationSchema = z.object({
  version: z.literal('4').describe('Webhook payload version; 4 since Alertmanager 0.x'),
  groupKey: z.string().max(8192),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().max(256),
  groupLabels: labelSet.default({}),
  commonLabels: labelSet.default({}),
  commonAnnotations: labelSet.default({}),
  externalURL: z.string().max(4096).default(''),
  alerts: z.array(webhookAlertSchema).min(1).max(1000),
});
export type WebhookNotification = z.infer<typeof webhookNotificationSchema>;

export const webhookResultSchema = z.object({
  received: z.number().describe('Alerts in the notification'),
  opened: z.array(z.string()).describe('Incidents opened by firing alerts'),
  updated: z.array(z.string()).describe('Open incidents whose alert changed (annotations, labels)'),
  resolved: z.array(z.string()).describe('Incidents resolved by resolved alerts'),
  unchanged: z.number().describe('Alerts already known in this state (a repeat or a replay)'),
  ignored: z.number().describe('Alerts in alertmanager.ignore_alertnames'),
});
export type WebhookResult = z.infer<typeof webhookResultSchema>;
