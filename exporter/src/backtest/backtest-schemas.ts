import { z } from 'zod';
import { isoTime } from '../api/schemas';
import { BACKTEST_SOURCES, BACKTEST_STATUSES, RULE_SETS } from './backtest-repository';
import { DIFF_KINDS } from './backtest-compare';

/** Request and response schemas of the backtest routes (the OpenAPI document and the plugins' types). */

const ms = (max: number) => z.number().int().min(0).max(max);

export const createBacktestBody = z
  .strictObject({
    from: isoTime.describe('First tick of the range'),
    to: isoTime.optional().describe('Last tick of the range (default now; a later time is cut to now)'),
    source: z
      .enum(BACKTEST_SOURCES)
      .default('store')
      .describe('store: the sidecar’s telemetry history; prometheus: query_range on backtest.prometheus_url'),
    policy: z
      .string()
      .min(1)
      .max(16 * 1024 * 1024)
      .optional()
      .describe('A candidate policy (YAML or JSON text, as the policy file); default: the running rules'),
    rule: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('One edited rule (a guardian rule object), run with the running playbooks'),
    only: z.array(z.string().max(64)).min(1).max(1000).optional().describe('Only these rules of the set, by name'),
    tick_ms: z
      .number()
      .int()
      .min(50)
      .max(86_400_000)
      .optional()
      .describe('Tick of the replay (default guardian.tick_ms)'),
    tolerance_ms: ms(86_400_000)
      .optional()
      .describe('A would-be fire this close to a real one is the same (default one tick)'),
    match_window_ms: ms(7 * 86_400_000)
      .optional()
      .describe('Fires farther apart are different decisions (default the larger of 5 minutes and 10 ticks)'),
  })
  .refine((b) => !(b.policy !== undefined && b.rule !== undefined), {
    path: ['rule'],
    message: 'send a candidate policy or one edited rule, not both',
  });

export const backtestRunSchema = z.object({
  id: z.string(),
  status: z.enum(BACKTEST_STATUSES),
  actor: z.string(),
  source: z.enum(BACKTEST_SOURCES),
  range_from: z.string(),
  range_to: z.string(),
  tick_ms: z.number(),
  rules_from: z.enum(RULE_SETS).describe('running, policy (a candidate text) or rule (one edited rule)'),
  policy_version: z.string().describe('Version of the rule set: the policy content hash, or rule:<rule version>'),
  request: z.record(z.string(), z.unknown()).describe('The rules and playbooks evaluated and the comparison settings'),
  ticks_total: z.number(),
  ticks_done: z.number(),
  progress: z.number().describe('0 to 1'),
  summary: z.record(z.string(), z.unknown()).nullable().describe('Counts of the result (null until it ends)'),
  error: z.string().nullable().describe('Why it failed, or why it is partial'),
  created_at: z.string(),
  finished_at: z.string().nullable(),
});

const stepSchema = z
  .record(z.string(), z.unknown())
  .describe('A playbook step: { do: kill_switch | pause_scheduler | action | notify, … }');

export const backtestFireSchema = z.object({
  rule: z.string(),
  at: z.string().describe('The tick it would have fired at'),
  at_ms: z.number(),
  shadow: z.boolean(),
  rule_version: z.string(),
  severity: z.string(),
  verdict: z.string(),
  no_data: z.boolean(),
  observed: z.record(z.string(), z.unknown()).describe('The inputs that decided it'),
  thresholds: z.record(z.string(), z.unknown()).describe('What it judged them by'),
  incident: z.object({ key: z.string(), opened: z.boolean() }).nullable(),
  steps: z.array(stepSchema),
  step_errors: z.array(z.object({ step: stepSchema, error: z.string() })),
});

const diffItemSchema = z.object({
  rule: z.string(),
  kind: z.enum(DIFF_KINDS),
  backtest_at: z.string().nullable(),
  real_at: z.string().nullable(),
  delta_ms: z.number().nullable().describe('Backtest minus real (negative: earlier)'),
  real_incident_id: z.string().nullable(),
  shadow: z.boolean(),
});

const wouldCounts = z.object({
  kills: z.number(),
  pauses: z.number(),
  actions: z.number(),
  notifications: z.number(),
});

export const backtestSummarySchema = z.object({
  rules: z.number(),
  skipped: z.number(),
  ticks: z.number(),
  fires: z.number(),
  shadow_fires: z.number(),
  would: wouldCounts.extend({ incidents: z.number() }),
  shadow_would: wouldCounts,
  real: z.object({ fires: z.number(), incidents: z.number(), kills: z.number() }),
  comparison: z.object(
    Object.fromEntries(DIFF_KINDS.map((k) => [k, z.number()])) as Record<(typeof DIFF_KINDS)[number], z.ZodNumber>
  ),
  no_data: z.boolean(),
  partial: z.boolean(),
});

export const backtestResultSchema = z.object({
  id: z.string(),
  source: z.enum(BACKTEST_SOURCES),
  range: z.object({ from: z.string(), to: z.string() }),
  tick_ms: z.number(),
  rules_from: z.enum(RULE_SETS),
  policy_version: z.string(),
  summary: backtestSummarySchema,
  rules: z.array(
    z.object({
      name: z.string(),
      type: z.string(),
      shadow: z.boolean(),
      severity: z.string(),
      rule_version: z.string(),
      metric: z.string().optional(),
      op: z.string().optional(),
      value: z.number().optional(),
      aggregate: z.string().optional(),
      stats: z.object({
        rule: z.string(),
        ticks: z.number(),
        pass: z.number(),
        fail: z.number(),
        inconclusive: z.number(),
        no_data_ticks: z.number(),
        fires: z.number(),
        recoveries: z.number(),
      }),
      no_data: z.object({
        ticks: z.number(),
        verdict: z.string().describe('The rule’s no_data setting'),
        message: z.string().nullable(),
      }),
    })
  ),
  skipped: z.array(z.object({ rule: z.string(), reason: z.string() })),
  fires: z.array(backtestFireSchema),
  fires_truncated: z.number(),
  would: z.object({
    incidents: z.array(
      z.object({
        key: z.string(),
        rule: z.string(),
        severity: z.string(),
        title: z.string().nullable(),
        opened_at: z.string(),
        resolved_at: z.string().nullable(),
        fires: z.number(),
      })
    ),
    steps: z.array(
      z.object({
        at: z.string(),
        rule: z.string(),
        shadow: z.boolean(),
        step: stepSchema,
        incident: z.string().nullable(),
      })
    ),
    steps_truncated: z.number(),
  }),
  real: z.object({
    fires: z.array(
      z.object({
        rule: z.string(),
        at: z.string(),
        at_ms: z.number(),
        shadow: z.boolean(),
        rule_version: z.string().nullable(),
        incident_id: z.string().nullable(),
      })
    ),
    incidents: z.array(
      z.object({
        id: z.string(),
        rule: z.string(),
        severity: z.string(),
        title: z.string(),
        opened_at: z.string(),
        resolved_at: z.string().nullable(),
      })
    ),
    kills: z.array(z.object({ at: z.string(), actor: z.string().nullable(), incident_id: z.string().nullable() })),
  }),
  comparison: z.object({
    tolerance_ms: z.number(),
    match_window_ms: z.number(),
    items: z.array(diffItemSchema),
    summary: backtestSummarySchema.shape.comparison,
  }),
  chart: z
    .record(z.string(), z.array(z.object({ t: z.string(), min: z.number(), max: z.number() })))
    .describe('Per rule: the signal that decided each tick, min and max per bucket'),
  flushes_replayed: z.array(z.string()),
  data: z.object({ rows: z.number(), series: z.number(), message: z.string().nullable() }),
  partial: z.object({ reason: z.string(), evaluated_until: z.string().nullable() }).nullable(),
});
export type BacktestResult = z.infer<typeof backtestResultSchema>;
