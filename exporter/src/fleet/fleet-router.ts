import { z } from 'zod';
import type { ApiRouter, Method } from '../api/api-router';
import { ApiError } from '../api/errors';
import { eventFilterQuery, eventSchema, csvList, pageOf, stdErrors } from '../api/schemas';
import { feedParam, feedPage, streamFilters, streamQuery } from '../api/routers/core-routes';
import type { StreamHub } from '../api/routers/stream-router';
import { callerOf, idempotencyKeyOf } from '../actions/actions-router';
import type { FleetConfig } from './fleet-config';
import { FleetNotEnabledError, FleetRefusedError, FleetUnavailableError, NotFleetHubError } from './fleet-errors';
import { FLEET_ACTIONS, type FleetActions, type FleetApplied, type FleetPlan } from './fleet-actions';
import type { FleetEventsRepository } from './fleet-events-repository';
import type { FleetForwarder } from './fleet-forward';
import {
  type FleetKillState,
  fleetKillStateSchema,
  followReportSchema,
  nodeRecordSchema,
  selectorSchema,
  selects,
} from './fleet-schemas';
import { type FleetNode, type FleetView, NODE_STATES } from './fleet-view';
import { leaseValueSchema } from './kv-lease';

/** The hub's parts the routes use; null on a sidecar that is no hub. */
export interface FleetHubApi {
  /** The hub's own node name. */
  node: string;
  view: FleetView;
  actions: FleetActions;
  events: FleetEventsRepository;
  stream: StreamHub;
  forwarder: FleetForwarder;
  consumer: { pending: number; lastError: string | null };
}

const nodeName = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'a node name');
const nodeFilter = z.object({ node: csvList(nodeName).optional().describe('Only these nodes (comma separated)') });
const fleetFeedQuery = eventFilterQuery.extend(nodeFilter.shape);
const fleetStreamQuery = streamQuery.extend(nodeFilter.shape);
const actionParam = z.object({ name: z.enum(FLEET_ACTIONS) });
const reasonSchema = z.string().trim().min(3, 'say why in at least 3 characters').max(1000);

const record = nodeRecordSchema.shape;
/** A node as the hub shows it: most of its membership record, and what the hub knows of it. */
const fleetNodeSchema = z.object({
  node: record.node,
  state: z.enum(NODE_STATES).describe('up, stale (no heartbeat for fleet.stale_after_ms), gone, or stopped'),
  heartbeat_at: z.string(),
  heartbeat_age_ms: z.number(),
  version: record.version,
  url: record.url,
  group: record.group,
  labels: record.labels,
  hub: record.hub,
  follow_kill: record.follow_kill,
  fail_safe: record.fail_safe,
  started_at: record.started_at,
  kill: record.kill,
  kill_by_fleet: record.kill_by_fleet,
  fleet_kill: followReportSchema.nullable().describe('What the node did with the fleet kill state, as it reported'),
  selected: z.boolean().describe('The current fleet kill state is for this node'),
  converged: z.boolean().describe('The node reported the current revision and its switch matches it'),
  fleet_state_readable: record.fleet_state_readable,
  outbox: record.outbox,
  last_event: z
    .object({ id: z.string(), ts: z.string(), kind: z.string(), received_at: z.string() })
    .nullable()
    .describe('The newest event of the node in the hub feed'),
  hub_behind: z.boolean().describe('The node has newer events than the hub holds (in its outbox or in flight)'),
  leases: record.leases,
});

const killViewSchema = z.object({
  readable: z.boolean(),
  revision: z.number(),
  state: fleetKillStateSchema.nullable(),
  error: z.string().optional(),
});

const fleetSchema = z.object({
  hub: z.string(),
  generated_at: z.string(),
  kill: killViewSchema,
  nodes: z.array(fleetNodeSchema),
  leases: z.array(leaseValueSchema.extend({ lease: z.string(), revision: z.number() })),
  consumer: z.object({ pending: z.number(), last_error: z.string().nullable() }),
});

const planNodeSchema = z.object({
  node: z.string(),
  state: z.enum(NODE_STATES),
  labels: z.record(z.string(), z.string()),
  selected: z.boolean(),
  from: z.object({ engaged: z.boolean() }),
  to: z.object({ engaged: z.boolean() }),
  change: z.boolean(),
  note: z.string().nullable(),
});

const fleetPlanSchema = z.object({
  plan_id: z.string(),
  action: z.enum(FLEET_ACTIONS),
  selector: selectorSchema.nullable(),
  revision: z.number(),
  current: fleetKillStateSchema.nullable(),
  nodes: z.array(planNodeSchema),
  interlocks: z.array(z.object({ code: z.string(), message: z.string() })),
  allowed: z.boolean(),
  actor: z.string(),
  created_at: z.string(),
  expires_at: z.string(),
});

const fleetAppliedSchema = z.object({
  plan_id: z.string(),
  action: z.enum(FLEET_ACTIONS),
  revision: z.number(),
  state: fleetKillStateSchema,
  nodes: z.array(planNodeSchema),
  applied_at: z.string(),
});

const forwardParams = z.object({
  node: nodeName,
  path: z
    .union([z.string(), z.array(z.string().max(512)).max(32)])
    .transform((v) => (Array.isArray(v) ? v : v.split('/')))
    .describe('The node’s own route after /api/v1/'),
});

const errors409 = {
  409: { description: 'fleet_not_enabled, not_fleet_hub, plan_stale, plan_expired, idempotency_mismatch, conflict' },
  503: { description: 'fleet_unavailable: the fleet KV buckets cannot be reached' },
};

function nodeView(
  n: FleetNode,
  kill: { revision: number; state: FleetKillState | null }
): z.infer<typeof fleetNodeSchema> {
  const r = n.record;
  const selected = !!kill.state && r.follow_kill && selects(kill.state.selector, r);
  const reported = r.fleet_kill;
  const converged =
    !kill.state || !selected || (reported?.revision === kill.revision && r.kill.engaged === kill.state.engaged);
  return {
    node: n.node,
    state: n.state,
    heartbeat_at: n.heartbeat_at,
    heartbeat_age_ms: n.heartbeat_age_ms,
    version: r.version,
    url: r.url,
    group: r.group,
    labels: r.labels,
    hub: r.hub,
    follow_kill: r.follow_kill,
    fail_safe: r.fail_safe,
    started_at: r.started_at,
    kill: r.kill,
    kill_by_fleet: r.kill_by_fleet,
    fleet_kill: reported,
    selected,
    converged,
    fleet_state_readable: r.fleet_state_readable,
    outbox: r.outbox,
    last_event: n.last_event
      ? { id: n.last_event.id, ts: n.last_event.ts, kind: n.last_event.kind, received_at: n.last_event.received_at }
      : null,
    hub_behind: !!r.last_event.id && (!n.last_event || r.last_event.id > n.last_event.id),
    leases: r.leases,
  };
}

/** Maps the fleet's refusals onto the API's error codes. */
function fleetApiError(err: unknown): unknown {
  if (err instanceof FleetRefusedError) return new ApiError(err.code, err.message, err.details);
  if (err instanceof FleetUnavailableError) {
    return new ApiError('fleet_unavailable', err.message, { retry_after_s: 5 }, { 'Retry-After': '5' });
  }
  return err;
}

async function guard<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fleetApiError(err);
  }
}

/**
 * The fleet routes. Always in the route table (so the auth matrix and the docs cover them); a sidecar
 * whose fleet mode is off answers 409 `fleet_not_enabled`, a member that is not the hub 409
 * `not_fleet_hub`.
 */
export function fleetRoutes(cfg: FleetConfig, hub: FleetHubApi | null): (api: ApiRouter) => void {
  const need = (): FleetHubApi => {
    if (!cfg.enabled)
      throw fleetApiError(new FleetNotEnabledError('fleet mode is off on this sidecar (fleet.enabled)'));
    if (!hub) {
      throw fleetApiError(new NotFleetHubError('this sidecar is a fleet member, not the hub (fleet.hub): ask the hub'));
    }
    return hub;
  };
  return (api) => {
    api.add(
      {
        method: 'get',
        path: '/api/v1/fleet',
        access: 'viewer',
        summary: 'The fleet: nodes (health, kill state, versions, outbox lag, last event), fleet kill state, leases',
        tags: ['fleet'],
        responses: { 200: { description: 'fleet', schema: fleetSchema }, ...errors409, ...stdErrors },
      },
      async () => {
        const h = need();
        let kill: z.infer<typeof killViewSchema>;
        try {
          kill = { readable: true, ...(await h.view.kill()) };
        } catch (err) {
          kill = { readable: false, revision: 0, state: null, error: (err as Error).message };
        }
        const leases = await h.view.leases().catch(() => []);
        return {
          hub: h.node,
          generated_at: new Date().toISOString(),
          kill,
          nodes: h.view.nodes().map((n) => nodeView(n, kill)),
          leases,
          consumer: { pending: h.consumer.pending, last_error: h.consumer.lastError },
        };
      }
    );

    api.add(
      {
        method: 'get',
        path: '/api/v1/fleet/feeds/:feed',
        access: 'viewer',
        summary: 'A fleet-wide feed (every node’s events in the hub), newest first; ?node= narrows it to nodes',
        tags: ['fleet'],
        params: feedParam,
        query: fleetFeedQuery,
        responses: { 200: { description: 'events', schema: pageOf(eventSchema) }, ...errors409, ...stdErrors },
      },
      ({ params, query }) => {
        const h = need();
        const { node, ...filters } = query;
        return feedPage(h.events.repo, params.feed, filters, node);
      }
    );

    api.add(
      {
        method: 'get',
        path: '/api/v1/fleet/stream',
        access: 'viewer',
        summary: 'Server-sent events of every node’s events as the hub receives them; ?node=, ?feeds=, Last-Event-ID',
        tags: ['fleet'],
        query: fleetStreamQuery,
        responses: {
          200: { description: 'events', schema: z.string(), contentType: 'text/event-stream' },
          ...errors409,
          ...stdErrors,
        },
      },
      ({ query, req, res }) => {
        const h = need();
        const { node, ...filters } = query;
        h.stream.open(req, res, { ...streamFilters(req, filters), severity: query.severity, nodes: node });
      }
    );

    api.add(
      {
        method: 'post',
        path: '/api/v1/fleet/actions/:name/plan',
        access: 'operator',
        summary:
          'Plan a fleet kill or release for all nodes or a selection: the diff per node, bound to the fleet state',
        tags: ['fleet'],
        params: actionParam,
        body: z.strictObject({ selector: selectorSchema.optional() }),
        responses: { 200: { description: 'plan', schema: fleetPlanSchema }, ...errors409, ...stdErrors },
      },
      ({ params, body, principal }): Promise<FleetPlan> =>
        guard(() => need().actions.plan(params.name, callerOf(principal), body.selector))
    );

    api.add(
      {
        method: 'post',
        path: '/api/v1/fleet/actions/:name/apply',
        access: 'operator',
        summary: 'Apply a fleet plan: plan_id, reason, Idempotency-Key. 202; 200 for a replay. Nodes follow it',
        tags: ['fleet'],
        params: actionParam,
        body: z.strictObject({
          plan_id: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'a plan id returned by /plan'),
          reason: reasonSchema,
        }),
        responses: {
          202: { description: 'applied: the fleet kill state was written', schema: fleetAppliedSchema },
          200: { description: 'replay of an earlier apply with the same key', schema: fleetAppliedSchema },
          ...errors409,
          ...stdErrors,
        },
      },
      async ({ params, body, principal, req, res }): Promise<FleetApplied> => {
        const key = idempotencyKeyOf(req);
        const r = await guard(() =>
          need().actions.apply(params.name, callerOf(principal), {
            planId: body.plan_id,
            reason: body.reason,
            idempotencyKey: key,
          })
        );
        res.status(r.replayed ? 200 : 202);
        if (r.replayed) res.setHeader('Idempotent-Replayed', 'true');
        return r.applied;
      }
    );

    // One node's own API through the hub: the node decides with the person's role (see fleet-forward.ts).
    const methods: { method: Method; access: 'viewer' | 'operator' }[] = [
      { method: 'get', access: 'viewer' },
      { method: 'post', access: 'operator' },
      { method: 'put', access: 'operator' },
      { method: 'patch', access: 'operator' },
      { method: 'delete', access: 'operator' },
    ];
    for (const { method, access } of methods) {
      api.add(
        {
          method,
          path: '/api/v1/fleet/nodes/:node/api/v1/*path',
          access,
          summary: `${method.toUpperCase()} one node’s /api/v1/<path> through the hub; the node applies its own access with the caller’s role`,
          tags: ['fleet'],
          params: forwardParams,
          ...(method === 'get' || method === 'delete' ? {} : { body: z.record(z.string(), z.unknown()) }),
          responses: {
            200: {
              description: 'the node’s answer, as it gave it',
              schema: z.unknown().describe('JSON, an SSE stream or image bytes: whatever the node’s route answers'),
              contentType: '*/*',
            },
            404: { description: 'no such node, or it advertises no URL' },
            502: { description: 'node_unreachable' },
            ...errors409,
            ...stdErrors,
          },
        },
        ({ params, req, res, principal }) =>
          guard(() => need().forwarder.forward(req, res, params.node, params.path, principal)).then(() => undefined)
      );
    }
  };
}
