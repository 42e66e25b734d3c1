import { z } from 'zod';
import { AGENT_STATUSES, ATTEMPT_OUTCOMES, TASK_STATUSES } from './agents-repository';

/** An agent name is a NATS subject token (`lookout.agents.<agent>.heartbeat`) and a token name. */
export const agentNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only, at most 64 (it is a NATS subject token)');

const capabilitySchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits, _ . : - only');

export const performanceSchema = z.strictObject({
  cpu: z.number().finite().min(0).optional().describe('CPU use, percent'),
  memory: z.number().finite().min(0).optional().describe('Memory use (bytes or percent, as the agent reports it)'),
  custom: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.number().finite())
    .refine((r) => Object.keys(r).length <= 32, 'at most 32 custom numbers')
    .optional()
    .describe('Any other numbers the agent reports'),
});

export const registerBody = z.strictObject({
  name: agentNameSchema,
  capabilities: z.array(capabilitySchema).max(64).default([]),
  priority_score: z.number().finite().default(0).describe('Higher gets work first among capable agents'),
  max_tasks: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .describe('Concurrent tasks (default agents.max_tasks_per_agent)'),
  heartbeat_window_s: z.number().positive().max(86_400).optional().describe('Down after this long without a heartbeat'),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/** Heartbeat payload (REST body and NATS message). Top-level cpu/memory/custom are accepted as shorthand. */
export const heartbeatBody = z
  .strictObject({
    status: z.enum(['idle', 'busy', 'offline']).optional(),
    performance: performanceSchema.optional(),
    cpu: z.number().finite().min(0).optional(),
    memory: z.number().finite().min(0).optional(),
    custom: performanceSchema.shape.custom,
    ts: z.string().optional().describe('Sender time; informational'),
  })
  .transform(({ status, performance, cpu, memory, custom }) => {
    const perf = {
      ...performance,
      ...(cpu !== undefined ? { cpu } : {}),
      ...(memory !== undefined ? { memory } : {}),
      ...(custom ? { custom } : {}),
    };
    return { status, performance: Object.keys(perf).length ? perf : undefined };
  });

export const agentPatchBody = z
  .strictObject({
    capabilities: z.array(capabilitySchema).max(64).optional(),
    priority_score: z.number().finite().optional(),
    max_tasks: z.number().int().min(1).max(1000).optional(),
    heartbeat_window_s: z.number().positive().max(86_400).optional(),
    status: z.enum(['idle', 'busy', 'offline']).optional(),
    performance: performanceSchema.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'nothing to update');

export const classicAgentStatusBody = z
  .strictObject({ status: z.enum(['idle', 'busy', 'offline', 'online', 'active']) })
  .transform((b) => ({
    status: (b.status === 'online' || b.status === 'active' ? 'idle' : b.status) as 'idle' | 'busy' | 'offline',
  }));

export const createTaskBody = z.strictObject({
  title: z.string().min(1).max(500),
  description: z.string().max(20_000).default(''),
  priority: z.number().int().min(-1_000_000).max(1_000_000).default(0).describe('Higher is assigned first'),
  category: z.string().max(100).nullable().optional(),
  estimated_duration: z.number().finite().min(0).nullable().optional().describe('Seconds'),
  dependencies: z.array(z.number().int().positive()).max(1000).default([]).describe('Task ids that must be done first'),
  required_capabilities: z.array(capabilitySchema).max(64).default([]).describe('The agent must have all of them'),
  max_attempts: z
    .number()
    .int()
    .min(1)
    .max(100)
    .optional()
    .describe('Failed attempts before the task is dead-lettered (default agents.task_max_attempts)'),
});

/**
 * Classic status words are accepted: pending → queued, running → in_progress, completed → done.
 * `failed` is an attempt's outcome: the task is retried after a backoff or dead-lettered.
 */
const taskStatusInput = z
  .enum([...TASK_STATUSES.filter((s) => s !== 'dead_letter'), 'failed', 'pending', 'running', 'completed', 'complete'])
  .transform((s) =>
    s === 'pending' ? 'queued' : s === 'running' ? 'in_progress' : s === 'completed' || s === 'complete' ? 'done' : s
  );

export const taskUpdateBody = z.strictObject({
  status: taskStatusInput,
  actual_duration: z.number().finite().min(0).optional().describe('Seconds the task took (else measured)'),
  result: z.unknown().optional(),
  error: z.string().min(1).max(2000).optional().describe('With failed: why; kept as the task last_error'),
});

export const assignBody = z.strictObject({ agent: agentNameSchema.optional() }).default({});

/** A person's reason for a queue operation: recorded in its event and the audit log. */
export const reasonSchema = z.string().trim().min(3, 'say why in at least 3 characters').max(1000);

export const reasonBody = z.strictObject({ reason: reasonSchema });

/** DELETE may carry a reason; without a body it has none. */
export const optionalReasonBody = z.strictObject({ reason: reasonSchema.optional() });

export const attemptView = z.object({
  task_id: z.number(),
  attempt: z.number().describe('1 for the first assignment'),
  agent: z.string(),
  started_at: z.string(),
  ended_at: z.string().nullable(),
  outcome: z.enum(ATTEMPT_OUTCOMES).nullable().describe('null while the agent holds the task'),
  error: z.string().nullable(),
  retry_at: z.string().nullable().describe('When a failure scheduled a retry: its time'),
});

export const agentView = z.object({
  name: z.string(),
  capabilities: z.array(z.string()),
  priority_score: z.number(),
  status: z.enum(AGENT_STATUSES),
  max_tasks: z.number(),
  load: z.number(),
  heartbeat_window_s: z.number(),
  last_heartbeat: z.string(),
  heartbeat_age_s: z.number(),
  performance: z.object({
    cpu: z.number().optional(),
    memory: z.number().optional(),
    custom: z.record(z.string(), z.number()).optional(),
    updated_at: z.string().optional(),
  }),
  metadata: z.record(z.string(), z.unknown()),
  registered_at: z.string(),
  updated_at: z.string(),
  draining: z.boolean().describe('Keeps what it holds, is given nothing new'),
});

export const taskView = z.object({
  id: z.number(),
  title: z.string(),
  description: z.string(),
  priority: z.number(),
  category: z.string().nullable(),
  estimated_duration: z.number().nullable(),
  required_capabilities: z.array(z.string()),
  dependencies: z.array(z.number()),
  status: z.enum(TASK_STATUSES),
  agent: z.string().nullable(),
  created_by: z.string().nullable(),
  created_at: z.string(),
  queued_at: z.string(),
  assigned_at: z.string().nullable(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  actual_duration: z.number().nullable(),
  result: z.unknown(),
  requeues: z.number(),
  updated_at: z.string(),
  max_attempts: z.number(),
  attempts: z.number().describe('Times an agent took the task'),
  failures: z.number().describe('Failed attempts since creation or the last requeue of a dead letter'),
  retry_at: z.string().nullable().describe('Queued after a failure: not assigned before this time'),
  lease_expires_at: z.string().nullable().describe("Held: requeued as failed unless the agent's heartbeat renews it"),
  last_error: z.string().nullable(),
});
