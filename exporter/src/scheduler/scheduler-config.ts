import { z } from 'zod';
import { durationSchema } from '../guardian/duration';
import { CronError, parseCron } from './cron';

const policyName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'a policy name is lower_snake_case, at most 64 characters');
const actionName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/);

const common = {
  name: policyName,
  reason: z.string().max(1000).optional().describe('Why the policy exists: shown with its decisions'),
  runbook: z.string().max(500).optional().describe('Runbook link (URL or docs path)'),
  cooldown: durationSchema.default(0).describe('No second action from this policy within this time'),
  params: z.record(z.string(), z.unknown()).default({}),
};

export const kpiRuleSchema = z.strictObject({
  name: z.string().min(1).max(64),
  higher_is_better: z.boolean().default(true),
});

export const schedulerPolicySchema = z.discriminatedUnion('type', [
  z.strictObject({ ...common, type: z.literal('interval'), every: durationSchema, action: actionName }),
  z.strictObject({
    ...common,
    type: z.literal('cron'),
    cron: z.string().superRefine((v, ctx) => {
      try {
        parseCron(v);
      } catch (err) {
        if (err instanceof CronError) ctx.addIssue({ code: 'custom', message: err.message });
        else throw err;
      }
    }),
    action: actionName,
  }),
  z.strictObject({
    ...common,
    type: z.literal('drift'),
    metric: z.string().default('drift_score'),
    threshold: z.number().finite(),
    for: durationSchema.default(600_000),
    stale_after: durationSchema.default(60_000),
    action: actionName.default('retrain'),
  }),
  z.strictObject({
    ...common,
    type: z.literal('canary'),
    kpis: z
      .array(kpiRuleSchema)
      .min(1)
      .default([{ name: 'sharpe', higher_is_better: true }]),
    evaluations: z.number().int().min(1).default(3),
    action: actionName.default('canary_promote'),
  }),
  z.strictObject({
    ...common,
    type: z.literal('halt'),
    severity: z.enum(['warning', 'critical']).default('critical'),
    action: actionName.default('kill'),
  }),
]);
export type SchedulerPolicy = z.infer<typeof schedulerPolicySchema>;

/** Duplicate policy names; paths relative to the policy list. */
export function schedulerProblems(ps: readonly SchedulerPolicy[]): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const seen = new Set<string>();
  ps.forEach((p, i) => {
    if (seen.has(p.name)) out.push({ path: [i, 'name'], message: `duplicate policy name ${p.name}` });
    seen.add(p.name);
  });
  return out;
}

export const schedulerConfigSchema = z
  .object({
    enabled: z.boolean().default(true).describe('Run the scheduler tick'),
    tick_ms: z.number().int().min(50).default(10_000).describe('How often every policy is evaluated'),
    policies: z
      .array(schedulerPolicySchema)
      .default([])
      .superRefine((ps, ctx) => {
        for (const p of schedulerProblems(ps)) ctx.addIssue({ code: 'custom', ...p });
      })
      .describe('Policies: interval, cron, drift, canary, halt (JSON in env; or policy.file)'),
  })
  .prefault({});
export type SchedulerConfig = z.infer<typeof schedulerConfigSchema>;
