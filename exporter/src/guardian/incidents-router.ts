import { z } from 'zod';
import type { ApiRouter } from '../api/api-router';
import { notFound } from '../api/api-router';
import { actorOf } from '../api/auth';
import { ApiError } from '../api/errors';
import { pageBySeq } from '../api/paging';
import { csvList, cursorParam, limitParam, pageOf, stdErrors } from '../api/schemas';
import { IncidentNotFoundError, type IncidentService, IncidentTransitionError } from './incident-service';
import { INCIDENT_STATUSES, type Incident } from './incidents-repository';

const incidentSchema = z.object({
  id: z.string(),
  rule: z.string(),
  node: z.string(),
  severity: z.enum(['warning', 'critical']),
  title: z.string(),
  status: z.enum(INCIDENT_STATUSES),
  data: z.record(z.string(), z.unknown()),
  opened_at: z.string(),
  acknowledged_at: z.string().nullable(),
  acknowledged_by: z.string().nullable(),
  ack_note: z.string().nullable(),
  resolved_at: z.string().nullable(),
  resolved_by: z.string().nullable(),
  resolve_note: z.string().nullable(),
  diagnostic_id: z.string().nullable().describe('The diagnostic tracking this incident, when its rule opens one'),
});
const idParam = z.object({ id: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'an incident id (ULID)') });
const noteBody = z.strictObject({
  note: z.string().trim().max(2000).optional(),
  // The same rule as every other control route: a reason, when given, says something.
  reason: z.string().trim().min(3, 'say why in at least 3 characters').max(1000).optional(),
});

/** Finds the diagnostic linked to an incident (the diagnostics tracker answers; the guardian does not know it). */
export type DiagnosticLookup = (incidentId: string) => string | null;

export function incidentsRoutes(
  incidents: IncidentService,
  diagnosticFor: DiagnosticLookup = () => null
): (api: ApiRouter) => void {
  const view = (i: Incident): z.infer<typeof incidentSchema> => {
    const { seq: _s, ...rest } = i;
    return { ...rest, diagnostic_id: diagnosticFor(i.id) };
  };
  return (api) => {
    const listQuery = z.strictObject({
      cursor: cursorParam.optional(),
      limit: limitParam(500, 50),
      status: csvList(z.enum(INCIDENT_STATUSES)).optional(),
      severity: z.enum(['warning', 'critical']).optional(),
      rule: z.string().max(64).optional(),
    });
    api.add(
      {
        method: 'get',
        path: '/api/v1/incidents',
        access: 'viewer',
        summary: 'Incidents, newest first; ?status=open,acknowledged&severity=&rule=',
        tags: ['incidents'],
        query: listQuery,
        responses: { 200: { description: 'incidents', schema: pageOf(incidentSchema) }, ...stdErrors },
      },
      ({ query }) => {
        const rows = incidents.repo.query({
          status: query.status,
          severity: query.severity,
          rule: query.rule,
          before: query.cursor,
          limit: query.limit + 1,
        });
        return pageBySeq(rows, query.limit, view);
      }
    );
    api.add(
      {
        method: 'get',
        path: '/api/v1/incidents/:id',
        access: 'viewer',
        summary: 'One incident',
        tags: ['incidents'],
        params: idParam,
        responses: {
          200: { description: 'incident', schema: incidentSchema },
          404: { description: 'no such incident' },
          ...stdErrors,
        },
      },
      ({ params }) => {
        const i = incidents.get(params.id);
        if (!i) throw notFound(`incident ${params.id}`);
        return view(i);
      }
    );
    for (const which of ['ack', 'resolve'] as const) {
      api.add(
        {
          method: 'post',
          path: `/api/v1/incidents/:id/${which}`,
          access: 'operator',
          summary:
            which === 'ack'
              ? 'Acknowledge an open incident, with an optional note'
              : 'Resolve an incident, with an optional note',
          tags: ['incidents'],
          params: idParam,
          body: noteBody,
          responses: {
            200: { description: 'incident', schema: incidentSchema },
            404: { description: 'no such incident' },
            409: { description: 'transition not allowed' },
            ...stdErrors,
          },
        },
        ({ params, body, principal }) => {
          const note = body.note ?? body.reason ?? null;
          try {
            const i =
              which === 'ack'
                ? incidents.acknowledge(params.id, actorOf(principal), note)
                : incidents.resolve(params.id, actorOf(principal), note);
            return view(i);
          } catch (err) {
            if (err instanceof IncidentNotFoundError) throw notFound(`incident ${params.id}`);
            if (err instanceof IncidentTransitionError) {
              throw new ApiError('invalid_transition', err.message, {
                from: err.from,
                to: err.to,
                allowed: err.allowed,
              });
            }
            throw err;
          }
        }
      );
    }
  };
}
