import { z } from 'zod';
import type { ApiRouter } from '../api/api-router';
import { pageBySeq } from '../api/paging';
import { cursorParam, isoTime, limitParam, pageOf, stdErrors } from '../api/schemas';
import type { AuditEntry, AuditLog } from './audit-log';

const entrySchema = z.object({
  id: z.string(),
  ts: z.string(),
  actor: z.string(),
  token: z.string().nullable().describe('The token name'),
  token_role: z.string().nullable().describe('The token role (grafana for the delegation token)'),
  grafana_user: z.string().nullable().describe('The Grafana login a grafana token acted for'),
  grafana_org_id: z.number().nullable(),
  grafana_org_role: z.string().nullable().describe('The Grafana org role as Grafana sent it'),
  role: z.string().nullable().describe('The effective role; null when refused before one was settled'),
  method: z.string(),
  path: z.string(),
  route: z.string(),
  action: z.string(),
  reason: z.string().nullable(),
  status: z.number(),
  result: z.string(),
  request_id: z.string().nullable(),
});

const view = (e: AuditEntry): z.infer<typeof entrySchema> => {
  const { seq, ...rest } = e;
  return { id: String(seq), ...rest };
};

export function auditRoutes(audit: AuditLog): (api: ApiRouter) => void {
  return (api) => {
    const q = z.strictObject({
      cursor: cursorParam.optional(),
      limit: limitParam(1000, 100),
      actor: z.string().max(300).optional(),
      action: z.string().max(200).optional(),
      since: isoTime.optional(),
      until: isoTime.optional(),
    });
    api.add(
      {
        method: 'get',
        path: '/api/v1/audit',
        access: 'admin',
        summary:
          'The audit log: every control call with actor, token, Grafana user, org and role, reason, status and result, newest first',
        tags: ['audit'],
        query: q,
        responses: { 200: { description: 'audit entries', schema: pageOf(entrySchema) }, ...stdErrors },
      },
      ({ query }) => {
        const rows = audit.query({
          actor: query.actor,
          action: query.action,
          since: query.since ? new Date(query.since).toISOString() : undefined,
          until: query.until ? new Date(query.until).toISOString() : undefined,
          before: query.cursor,
          limit: query.limit + 1,
        });
        return pageBySeq(rows, query.limit, view);
      }
    );
  };
}
