import { z } from 'zod';

const bucketName = z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only (a JetStream KV bucket)');
const labelKey = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'a label name is lower_snake_case');
const labelValue = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, '1-128 of A-Z a-z 0-9 _ . : -');

/** A node's labels: what a fleet kill or release can select a subset by. */
export const labelsSchema = z
  .record(labelKey, labelValue)
  .refine((l) => Object.keys(l).length <= 32, 'at most 32 labels');

/**
 * `fleet.*`: membership, the fleet kill switch, singleton leases and the hub (docs/fleet.md). Fleet
 * mode runs on the NATS JetStream cluster `nats.url` points at; the loader refuses it without one.
 */
export const fleetConfigSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe('Join the fleet: membership, fleet kill switch and leases in JetStream KV (needs nats.url)'),
    hub: z
      .boolean()
      .default(false)
      .describe(
        'Serve the fleet: consume every node’s events (durable consumer) and serve /api/v1/fleet, fleet feeds, stream and actions'
      ),
    group: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only')
      .default('default')
      .describe('Workload group: one scheduler (and every other singleton) per group holds a lease'),
    labels: labelsSchema
      .default({})
      .describe('Labels a fleet kill or release can select this node by, e.g. {"region":"eu"}'),
    url: z
      .string()
      .regex(/^https?:\/\/[^\s/]+/, 'an http:// or https:// URL')
      .optional()
      .describe('URL the hub reaches this sidecar at (advertised in membership; unset: the hub cannot forward to it)'),
    follow_kill: z
      .boolean()
      .default(true)
      .describe('Follow the fleet kill switch (false for a hub that runs no workload of its own)'),
    fail_safe: z
      .boolean()
      .default(false)
      .describe('Start with the kill switch engaged when the fleet state cannot be read at start-up'),
    startup_read_timeout_ms: z
      .number()
      .int()
      .min(100)
      .default(5000)
      .describe('How long a fail-safe node waits at start-up to read the fleet kill state before it engages'),
    state_bucket: bucketName
      .default('LOOKOUT_FLEET')
      .describe('KV bucket of the fleet kill state (key kill); no max age'),
    nodes_bucket: bucketName
      .default('LOOKOUT_FLEET_NODES')
      .describe('KV bucket of membership records (one key per node); its max age is gone_after_ms'),
    lease_bucket: bucketName
      .default('LOOKOUT_FLEET_LEASES')
      .describe('KV bucket of singleton leases (key <group>.<name>), history 64'),
    replicas: z
      .number()
      .int()
      .min(1)
      .max(5)
      .default(1)
      .describe('Replicas of the fleet KV buckets (3 on a three-server cluster)'),
    heartbeat_interval_ms: z
      .number()
      .int()
      .min(50)
      .default(5000)
      .describe('How often a node rewrites its membership record'),
    stale_after_ms: z
      .number()
      .int()
      .min(100)
      .default(15_000)
      .describe('A node whose record is older than this is shown stale'),
    gone_after_ms: z
      .number()
      .int()
      .min(200)
      .default(120_000)
      .describe('A node whose record is older than this is shown gone (the nodes bucket max age)'),
    lease_ttl_ms: z
      .number()
      .int()
      .min(200)
      .default(15_000)
      .describe('Lease TTL: after its holder dies another node takes the lease within this time'),
    hub_consumer: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default('lookout-hub')
      .describe('Durable consumer name of the hub on the event stream (nats.stream)'),
    node_token: z
      .string()
      .min(16)
      .optional()
      .describe(
        'Hub only: a grafana-role token every node accepts; the hub forwards a person’s request to a node with it, capped at the person’s role'
      ),
    forward_timeout_ms: z.number().int().min(100).default(10_000).describe('Timeout of one request the hub forwards'),
  })
  .superRefine((f, ctx) => {
    if (f.gone_after_ms <= f.stale_after_ms) {
      ctx.addIssue({ code: 'custom', path: ['gone_after_ms'], message: 'must be greater than fleet.stale_after_ms' });
    }
    if (f.stale_after_ms <= f.heartbeat_interval_ms) {
      ctx.addIssue({
        code: 'custom',
        path: ['stale_after_ms'],
        message: 'must be greater than fleet.heartbeat_interval_ms',
      });
    }
    if (f.hub && !f.enabled) {
      ctx.addIssue({ code: 'custom', path: ['hub'], message: 'a hub is a fleet member: set fleet.enabled too' });
    }
  })
  .prefault({});

export type FleetConfig = z.infer<typeof fleetConfigSchema>;
