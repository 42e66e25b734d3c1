import { z } from 'zod';
import { guardianRuleSchema, playbookStepSchema } from '../guardian/guardian-config';
import { schedulerPolicySchema } from '../scheduler/scheduler-config';
import { SAMPLE_TYPES } from '../telemetry';

/**
 * The policy file (docs/policy.md): the signals the workload reports, the guardian's rules and named
 * playbooks, and the scheduler's policies — one document, swapped as one. Every object is strict, so a
 * misspelt key is an error with its path rather than a silently ignored setting.
 */

const signalName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a signal is a telemetry name: [a-zA-Z_][a-zA-Z0-9_]*');

export const signalSchema = z.strictObject({
  type: z.enum(SAMPLE_TYPES).default('gauge'),
  labels: z
    .array(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a label name'))
    .default([])
    .describe('Label names its series carry; a rule may only match on these'),
  unit: z.string().max(50).optional(),
  description: z.string().max(1000).optional(),
});
export type Signal = z.infer<typeof signalSchema>;

export const policyDocumentSchema = z.strictObject({
  description: z.string().max(2000).optional(),
  signals: z
    .record(signalName, signalSchema)
    .optional()
    .describe('The telemetry the rules may read. Declared: a rule reading anything else is refused'),
  guardian: z
    .strictObject({
      rules: z.array(guardianRuleSchema).default([]),
      playbooks: z
        .record(
          z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'a playbook name is lower_snake_case, at most 64 characters'),
          z.array(playbookStepSchema)
        )
        .default({}),
    })
    .prefault({}),
  scheduler: z.strictObject({ policies: z.array(schedulerPolicySchema).default([]) }).prefault({}),
});
export type PolicyDocument = z.infer<typeof policyDocumentSchema>;
