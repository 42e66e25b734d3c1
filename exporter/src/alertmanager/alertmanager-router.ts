import type { ApiRouter } from '../api/api-router';
import { stdErrors } from '../api/schemas';
import type { AlertmanagerService } from './alertmanager-service';
import { webhookNotificationSchema, webhookResultSchema } from './alertmanager-webhook';

/**
 * POST /api/v1/alertmanager/webhook: Alertmanager's webhook receiver. Authenticated by the
 * `alertmanager` token that Alertmanager sends as `http_config.authorization` (Bearer), validated,
 * idempotent by alert fingerprint and startsAt.
 */
export function alertmanagerRoutes(service: AlertmanagerService): (api: ApiRouter) => void {
  return (api) => {
    api.add(
      {
        method: 'post',
        path: '/api/v1/alertmanager/webhook',
        access: 'alertmanager',
        summary:
          'Alertmanager webhook (payload version 4): firing alerts open or update incidents, resolved ones resolve them',
        tags: ['alertmanager'],
        body: webhookNotificationSchema,
        responses: { 200: { description: 'what each alert did', schema: webhookResultSchema }, ...stdErrors },
      },
      ({ body, principal }) => service.receive(body, principal.actor)
    );
  };
}
