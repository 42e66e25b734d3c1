import { z } from 'zod';
import { durationSchema } from './duration';

export const COMPARISON_OPS = ['>', '>=', '<', '<=', '==', '!='] as const;
export const comparisonOpSchema = z.enum(COMPARISON_OPS);
export type ComparisonOp = z.infer<typeof comparisonOpSchema>;

export function compare(a: number, op: ComparisonOp, b: number): boolean {
  switch (op) {
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

const ruleName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'a rule name is lower_snake_case, at most 64 characters');

export const playbookStepSchema = z.discriminatedUnion('do', [
  z.strictObject({ do: z.literal('kill_switch') }).describe('Engage the kill switch (runs the kill action)'),
  z.strictObject({ do: z.literal('pause_scheduler') }).describe('Pause the scheduler'),
  z
    .strictObject({
      do: z.literal('action'),
      action: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
      params: z.record(z.string(), z.unknown()).default({}),
    })
    .describe('Run an action (planned and interlocked like any other)'),
  z
    .strictObject({ do: z.literal('notify'), message: z.string().max(1000).optional() })
    .describe('Record a notify event and publish it on lookout.notify.<node>'),
]);
export type PlaybookStep = z.infer<typeof playbookStepSchema>;

const ruleCommon = {
  name: ruleName,
  title: z.string().max(200).optional().describe('Incident title; defaults to a description of the rule'),
  severity: z.enum(['warning', 'critical']).default('warning'),
  no_data: z
    .enum(['pass', 'fail', 'inconclusive'])
    .default('inconclusive')
    .describe('Verdict when the rule has nothing to judge'),
  shadow: z.boolean().default(false).describe('Evaluate and record, never open incidents or act'),
  open_diagnostic: z.boolean().default(false).describe('Ask the diagnostics tracker to open an issue'),
  playbook: z.array(playbookStepSchema).default([]),
};

export const guardianRuleSchema = z.discriminatedUnion('type', [
  z.strictObject({
    ...ruleCommon,
    type: z.literal('threshold'),
    metric: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/),
    op: comparisonOpSchema,
    value: z.number().finite(),
    for: durationSchema.default(0).describe('How long the condition must hold before the rule fires'),
    stale_after: durationSchema.default(60_000).describe('A latest sample older than this counts as no data'),
  }),
  z.strictObject({
    ...ruleCommon,
    type: z.literal('event_rate'),
    window: durationSchema,
    kind: z.string().max(200).optional().describe('Event kind; a trailing * matches a prefix'),
    source: z.string().max(50).optional(),
    min_severity: z.enum(['debug', 'info', 'warning', 'critical']).optional(),
    op: comparisonOpSchema.default('>'),
    value: z.number().int().min(0),
  }),
  z.strictObject({
    ...ruleCommon,
    type: z.literal('heartbeat_staleness'),
    max_age: durationSchema.describe('An agent whose last heartbeat is older than this is stale'),
    agents: z.array(z.string()).optional().describe('Only these agents (default: all)'),
  }),
]);
export type GuardianRule = z.infer<typeof guardianRuleSchema>;

export const guardianConfigSchema = z
  .object({
    enabled: z.boolean().default(true).describe('Run the guardian tick'),
    tick_ms: z.number().int().min(50).default(5000).describe('How often every rule is evaluated'),
    rules: z
      .array(guardianRuleSchema)
      .default([])
      .superRefine((rules, ctx) => {
        const seen = new Set<string>();
        rules.forEach((r, i) => {
          if (seen.has(r.name))
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate rule name ${r.name}` });
          seen.add(r.name);
        });
      })
      .describe('Rules: threshold over telemetry, event_rate over a window, heartbeat_staleness (JSON in env)'),
  })
  .prefault({});
export type GuardianConfig = z.infer<typeof guardianConfigSchema>;
