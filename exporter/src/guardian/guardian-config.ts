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
const playbookName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'a playbook name is lower_snake_case, at most 64 characters');

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
  z
    .strictObject({ do: z.literal('playbook'), name: playbookName })
    .describe('Run the steps of a named playbook (guardian.playbooks); references may not form a cycle'),
]);
export type PlaybookStep = z.infer<typeof playbookStepSchema>;

/** One label matcher of a threshold rule: a value, or `{ re }`, `{ not }`, `{ not_re }` (regexes fully anchored). */
export const labelMatcherSchema = z.union([
  z.string().max(256).describe('The label equals this value'),
  z.strictObject({ re: z.string().max(256) }).describe('The label matches this regular expression (anchored)'),
  z.strictObject({ not: z.string().max(256) }).describe('The label does not equal this value'),
  z.strictObject({ not_re: z.string().max(256) }).describe('The label does not match this regular expression'),
]);
export type LabelMatcher = z.infer<typeof labelMatcherSchema>;

/** How a threshold rule judges the series its selector matched. */
export const AGGREGATES = ['any', 'all', 'max', 'min', 'avg', 'sum', 'count'] as const;

const ruleCommon = {
  name: ruleName,
  reason: z.string().max(1000).optional().describe('Why the rule exists: shown with its incidents'),
  runbook: z.string().max(500).optional().describe('Runbook link (URL or docs path) shown with its incidents'),
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
    metric: z
      .string()
      .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/)
      .describe('The workload signal (telemetry name) it reads'),
    match: z
      .record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a label name'), labelMatcherSchema)
      .optional()
      .describe('Label selector: only series whose labels match every entry (default: every series of the name)'),
    aggregate: z
      .enum(AGGREGATES)
      .default('any')
      .describe(
        'any: some matched series meets the condition; all: every one does; max, min, avg, sum: of the values; count: of the series'
      ),
    op: comparisonOpSchema,
    value: z.number().finite(),
    for: durationSchema.default(0).describe('How long the condition must hold, tick after tick, before the rule fires'),
    stale_after: durationSchema.default(60_000).describe('A series not received for this long counts as no data'),
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
  z.strictObject({
    ...ruleCommon,
    type: z.literal('telemetry_stale'),
    max_age: durationSchema.describe(
      'Fires when no workload telemetry snapshot arrived for this long (counted from start-up until the first one)'
    ),
  }),
]);
export type GuardianRule = z.infer<typeof guardianRuleSchema>;
export type ThresholdRule = Extract<GuardianRule, { type: 'threshold' }>;
export type Playbooks = Record<string, PlaybookStep[]>;

type Issue = { path: (string | number)[]; message: string };

/**
 * What zod cannot see rule by rule: duplicate names, playbook references to no playbook, playbooks
 * that reach themselves (a cycle), and label matchers whose regex does not compile. Paths are relative
 * to the guardian section.
 */
export function guardianProblems(rules: readonly GuardianRule[], playbooks: Playbooks): Issue[] {
  const out: Issue[] = [];
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    if (seen.has(r.name)) out.push({ path: ['rules', i, 'name'], message: `duplicate rule name ${r.name}` });
    seen.add(r.name);
    r.playbook.forEach((step, j) => {
      if (step.do === 'playbook' && !Object.hasOwn(playbooks, step.name)) {
        out.push({ path: ['rules', i, 'playbook', j, 'name'], message: `no playbook named ${step.name}` });
      }
    });
    if (r.type === 'threshold') {
      for (const [label, m] of Object.entries(r.match ?? {})) {
        const re = typeof m === 'object' ? ('re' in m ? m.re : 'not_re' in m ? m.not_re : null) : null;
        if (re === null) continue;
        try {
          new RegExp(`^(?:${re})$`);
        } catch (err) {
          out.push({
            path: ['rules', i, 'match', label],
            message: `invalid regular expression: ${(err as Error).message}`,
          });
        }
      }
    }
  });
  for (const [name, steps] of Object.entries(playbooks)) {
    steps.forEach((step, j) => {
      if (step.do === 'playbook' && !Object.hasOwn(playbooks, step.name)) {
        out.push({ path: ['playbooks', name, j, 'name'], message: `no playbook named ${step.name}` });
      }
    });
  }
  // A cycle: depth-first over playbook references, reported once per cycle where it closes.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    state.set(name, 'visiting');
    (playbooks[name] ?? []).forEach((step, j) => {
      if (step.do !== 'playbook' || !Object.hasOwn(playbooks, step.name)) return;
      const st = state.get(step.name);
      if (st === 'visiting') {
        const path = [...trail, name];
        const cycle = [...path.slice(path.indexOf(step.name)), step.name];
        out.push({ path: ['playbooks', name, j, 'name'], message: `playbook cycle: ${cycle.join(' → ')}` });
      } else if (st === undefined) visit(step.name, [...trail, name]);
    });
    state.set(name, 'done');
  };
  for (const name of Object.keys(playbooks)) if (!state.has(name)) visit(name, []);
  return out;
}

export const guardianConfigSchema = z
  .object({
    enabled: z.boolean().default(true).describe('Run the guardian tick'),
    tick_ms: z.number().int().min(50).default(5000).describe('How often every rule is evaluated'),
    rules: z
      .array(guardianRuleSchema)
      .default([])
      .describe(
        'Rules: threshold over telemetry, event_rate over a window, heartbeat_staleness, telemetry_stale (JSON in env; ' +
          'or policy.file)'
      ),
    playbooks: z
      .record(playbookName, z.array(playbookStepSchema))
      .default({})
      .describe('Named playbooks that rules (and other playbooks) run with { do: playbook, name } (JSON in env)'),
  })
  .superRefine((g, ctx) => {
    for (const p of guardianProblems(g.rules, g.playbooks)) ctx.addIssue({ code: 'custom', ...p });
  })
  .prefault({});
export type GuardianConfig = z.infer<typeof guardianConfigSchema>;
