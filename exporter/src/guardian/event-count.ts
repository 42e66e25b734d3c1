import { severityRank, type Severity } from '../events/event';
import { type Db, prepareCached } from '../store/database';
import type { EventRateRule } from './rule-evaluator';

/**
 * Events an event-rate rule counts: since `since` (ISO) and, in a backtest, up to `until` (ISO; the
 * live guardian counts up to now, so it passes null). One query shape per filter combination.
 */
export function countRuleEvents(db: Db, rule: EventRateRule, since: string, until: string | null): number {
  const where = ['ts >= @since'];
  const args: Record<string, unknown> = { since };
  if (until !== null) {
    where.push('ts <= @until');
    args.until = until;
  }
  if (rule.source) {
    where.push('source = @source');
    args.source = rule.source;
  }
  if (rule.kind) {
    if (rule.kind.endsWith('*')) {
      where.push("kind LIKE @kind ESCAPE '\\'");
      args.kind = rule.kind.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`) + '%';
    } else {
      where.push('kind = @kind');
      args.kind = rule.kind;
    }
  }
  if (rule.min_severity) {
    where.push('severity >= @sev');
    args.sev = severityRank(rule.min_severity as Severity);
  }
  return (
    prepareCached(db, `SELECT COUNT(*) AS n FROM events WHERE ${where.join(' AND ')}`).get(args) as {
      n: number;
    }
  ).n;
}
