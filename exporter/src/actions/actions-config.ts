import { z } from 'zod';
import { durationSchema } from '../guardian/duration';
import { comparisonOpSchema } from '../guardian/guardian-config';

export const BUILTIN_ACTIONS = [
  'kill',
  'kill_release',
  'retrain',
  'canary_promote',
  'rollback',
  'flush_guardrails',
] as const;
export type BuiltinAction = (typeof BUILTIN_ACTIONS)[number];

/**
 * The sidecar's own actions: their effect is on the sidecar's state (the scheduler's pause, the task
 * queue, the agent registry), run in process by the capability that owns it, never by an executor.
 */
export const LOCAL_ACTIONS = [
  'scheduler_pause',
  'scheduler_resume',
  'task_assign',
  'task_cancel',
  'task_requeue',
  'agent_drain',
  'agent_undrain',
  'agent_deregister',
  'policy_apply',
] as const;
export type LocalActionName = (typeof LOCAL_ACTIONS)[number];

const RESERVED_ACTIONS: readonly string[] = [...BUILTIN_ACTIONS, ...LOCAL_ACTIONS];

export const executorConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('bus'),
    subject: z.string().optional().describe('Default lookout.cmd.<node>.<action>'),
    timeout_ms: z.number().int().min(1).default(5000),
  }),
  z.strictObject({
    type: z.literal('webhook'),
    url: z.url(),
    method: z.enum(['POST', 'PUT']).default('POST'),
    headers: z.record(z.string(), z.string()).default({}),
    timeout_ms: z.number().int().min(1).default(5000),
    retries: z.number().int().min(0).max(10).default(2).describe('Retries after the first attempt (5xx, network)'),
    backoff_ms: z.number().int().min(0).default(200).describe('First retry delay; doubles each retry'),
  }),
  z.strictObject({
    type: z.literal('command'),
    argv: z.array(z.string().min(1)).min(1).describe('Program and arguments; run without a shell'),
    timeout_ms: z.number().int().min(1).default(10_000),
    cwd: z.string().optional(),
  }),
]);
export type ExecutorConfig = z.infer<typeof executorConfigSchema>;

export const expectSchema = z.strictObject({
  metric: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/),
  op: comparisonOpSchema,
  value: z.number().finite(),
  deadline: durationSchema.optional().describe('Default actions.verify_deadline'),
});
export type ExpectConfig = z.infer<typeof expectSchema>;

export const customActionSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,63}$/)
    .refine((n) => !RESERVED_ACTIONS.includes(n), 'a custom action may not reuse a built-in name'),
  summary: z.string().max(200).default(''),
  access: z.enum(['operator', 'admin']).default('operator'),
  executor: executorConfigSchema,
  expect: expectSchema.optional(),
  cooldown: durationSchema.default(0),
});
export type CustomActionConfig = z.infer<typeof customActionSchema>;

export const actionsConfigSchema = z
  .object({
    plan_ttl: durationSchema.default(300_000).describe('How long a plan may be applied (ms or 5m)'),
    verify_deadline: durationSchema.default(10_000).describe('Default deadline for an expected effect to show'),
    bus_timeout_ms: z.number().int().min(1).default(5000).describe('Reply timeout of the bus executor'),
    break_glass_ttl: durationSchema.default(300_000).describe('Longest life of a break-glass plan'),
    cooldowns: z
      .record(z.string(), durationSchema)
      .default({})
      .describe('Per-action cooldown after an apply, e.g. {"retrain":"10m"}'),
    executors: z
      .record(z.string(), executorConfigSchema)
      .default({})
      .refine((e) => !Object.keys(e).some((k) => (LOCAL_ACTIONS as readonly string[]).includes(k)), {
        message: `the sidecar's own actions (${LOCAL_ACTIONS.join(', ')}) have no executor to override`,
      })
      .describe('Transport of a built-in action (default: bus request/reply to the workload)'),
    custom: z
      .array(customActionSchema)
      .default([])
      .describe('Custom actions: name, executor (bus, webhook, command), expect, cooldown (JSON in env)'),
  })
  .prefault({});
export type ActionsConfig = z.infer<typeof actionsConfigSchema>;
