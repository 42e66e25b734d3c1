import { z } from 'zod';
import { durationSchema } from '../guardian/duration';

export const backtestConfigSchema = z
  .object({
    max_range: durationSchema
      .default(31 * 86_400_000)
      .describe('Longest range one backtest may cover (ms or 31d); a longer one is refused with the limit'),
    max_ticks: z
      .number()
      .int()
      .min(1)
      .default(5_000_000)
      .describe('Most guardian ticks one backtest may replay (range ÷ tick); more is refused with the limit'),
    prometheus_url: z
      .string()
      .regex(/^https?:\/\/[^\s/]+/, 'an http:// or https:// URL')
      .optional()
      .describe('Prometheus that scrapes this sidecar, for backtests with source "prometheus" (query_range)'),
    prometheus_timeout_ms: z
      .number()
      .int()
      .min(100)
      .default(10_000)
      .describe('Timeout of one Prometheus query; a source that does not answer ends the run as partial'),
    prometheus_chunk_points: z
      .number()
      .int()
      .min(10)
      .max(11_000)
      .default(2000)
      .describe('Steps per series in one query_range (Prometheus answers at most 11,000)'),
    chart_points: z
      .number()
      .int()
      .min(10)
      .max(5000)
      .default(600)
      .describe('Points of each rule’s charted signal in a result (min and max per bucket)'),
    sync_wait_ms: z
      .number()
      .int()
      .min(0)
      .default(2000)
      .describe('How long POST /api/v1/backtests waits for a run to finish before answering 202 (still running)'),
    keep_runs: z
      .number()
      .int()
      .min(1)
      .default(100)
      .describe('Backtest runs (and results) kept at most; oldest go first'),
    retention: durationSchema
      .default(30 * 86_400_000)
      .describe('Backtest runs older than this are deleted with their results'),
    plan_window: durationSchema
      .default(86_400_000)
      .describe('Range a policy_apply plan backtests the candidate over when its params name none (ms or 24h)'),
  })
  .prefault({});
export type BacktestConfig = z.infer<typeof backtestConfigSchema>;
