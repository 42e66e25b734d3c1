export { AlertmanagerService, alertRule } from './alertmanager-service';
export { alertmanagerRoutes } from './alertmanager-router';
export { AlertNotificationsRepository } from './alert-notifications-repository';
export type { AlertNotification } from './alert-notifications-repository';
export { webhookNotificationSchema, webhookAlertSchema, webhookResultSchema } from './alertmanager-webhook';
export type { WebhookAlert, WebhookNotification, WebhookResult } from './alertmanager-webhook';
