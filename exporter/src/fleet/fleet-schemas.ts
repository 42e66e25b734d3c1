import { z } from 'zod';
import { labelsSchema } from './fleet-config';

const nodeName = z.string().regex(/^[A-Za-z0-9_-]+$/, 'a node name');

/** Which nodes a fleet command is for: all when null; else every node matching both parts that are set. */
export const selectorSchema = z
  .strictObject({
    nodes: z.array(nodeName).min(1).max(500).optional().describe('Only these nodes'),
    labels: labelsSchema.optional().describe('Only nodes carrying every one of these labels'),
  })
  .describe('Which nodes: all when absent or empty');
export type Selector = z.infer<typeof selectorSchema>;

/** Whether a node falls under a selector (null or empty: every node). */
export function selects(selector: Selector | null, node: { node: string; labels: Record<string, string> }): boolean {
  if (!selector) return true;
  if (selector.nodes && !selector.nodes.includes(node.node)) return false;
  for (const [k, v] of Object.entries(selector.labels ?? {})) if (node.labels[k] !== v) return false;
  return true;
}

/** An empty selector means "all": stored as null, so there is one spelling of it. */
export function normalizeSelector(s: Selector | undefined | null): Selector | null {
  if (!s) return null;
  const out: Selector = {};
  if (s.nodes?.length) out.nodes = [...new Set(s.nodes)].sort();
  if (s.labels && Object.keys(s.labels).length) out.labels = s.labels;
  return Object.keys(out).length ? out : null;
}

/** The one KV key every node follows (state bucket, key `kill`). */
export const fleetKillStateSchema = z.object({
  engaged: z.boolean(),
  selector: selectorSchema.nullable(),
  actor: z.string().describe('Who applied it on the hub (grafana:<login> or a token name)'),
  role: z.string().describe('The role they acted with'),
  reason: z.string(),
  plan_id: z.string().nullable(),
  hub: z.string().describe('The hub node that wrote it'),
  updated_at: z.string(),
});
export type FleetKillState = z.infer<typeof fleetKillStateSchema>;

export const FOLLOW_STATUSES = [
  'applying',
  'verified',
  'applied',
  'failed',
  'timed_out',
  'unchanged',
  'held_locally',
  'not_selected',
  'not_following',
] as const;
export type FollowStatus = (typeof FOLLOW_STATUSES)[number];

/** What a node did with a revision of the fleet kill state, as it reports it in its membership record. */
export const followReportSchema = z.object({
  revision: z.number().int(),
  engaged: z.boolean().describe('What the fleet state asked for'),
  selected: z.boolean(),
  status: z.enum(FOLLOW_STATUSES),
  action_id: z.string().nullable(),
  error: z.string().nullable(),
  at: z.string(),
});
export type FollowReport = z.infer<typeof followReportSchema>;

/** A node's membership record (nodes bucket, key = node name), rewritten every heartbeat and on change. */
export const nodeRecordSchema = z.object({
  node: nodeName,
  instance: z.string(),
  version: z.string(),
  url: z.string().nullable(),
  group: z.string(),
  labels: z.record(z.string(), z.string()),
  hub: z.boolean(),
  follow_kill: z.boolean(),
  fail_safe: z.boolean(),
  started_at: z.string(),
  heartbeat_at: z.string(),
  stopping: z.boolean().describe('The node said it is shutting down'),
  kill: z.object({
    engaged: z.boolean(),
    actor: z.string().nullable(),
    reason: z.string().nullable(),
    since: z.string().nullable(),
    fail_safe: z.string().optional(),
  }),
  fleet_kill: followReportSchema.nullable(),
  kill_by_fleet: z.boolean().describe('The switch is engaged by the fleet (or the fail-safe): a fleet release ends it'),
  fleet_state_readable: z.boolean(),
  outbox: z.object({ pending: z.number(), cursor_seq: z.number() }).nullable(),
  last_event: z.object({ id: z.string().nullable() }),
  leases: z.array(z.string()).describe('Leases this node holds'),
});
export type NodeRecord = z.infer<typeof nodeRecordSchema>;
