import type { Db } from '../store/database';

export const DECISION_VERDICTS = ['act', 'hold', 'blocked', 'inconclusive'] as const;
export type DecisionVerdict = (typeof DECISION_VERDICTS)[number];

export interface Decision {
  seq: number;
  id: string;
  ts: string;
  policy: string;
  policy_type: string;
  rule_version: string;
  verdict: DecisionVerdict;
  reason: string;
  action: string | null;
  action_id: string | null;
  inputs: Record<string, unknown>;
  thresholds: Record<string, unknown>;
}

type Row = Omit<Decision, 'inputs' | 'thresholds'> & { inputs: string; thresholds: string };
const decode = (r: Row): Decision => ({
  ...r,
  inputs: JSON.parse(r.inputs) as Record<string, unknown>,
  thresholds: JSON.parse(r.thresholds) as Record<string, unknown>,
});

export class DecisionsRepository {
  constructor(private readonly db: Db) {}

  insert(d: Omit<Decision, 'seq'>): Decision {
    const info = this.db
      .prepare(
        `INSERT INTO decisions (id, ts, policy, policy_type, rule_version, verdict, reason, action, action_id, inputs, thresholds)
         VALUES (@id, @ts, @policy, @policy_type, @rule_version, @verdict, @reason, @action, @action_id, @inputs, @thresholds)`
      )
      .run({ ...d, inputs: JSON.stringify(d.inputs), thresholds: JSON.stringify(d.thresholds) });
    return { ...d, seq: Number(info.lastInsertRowid) };
  }

  setAction(id: string, actionId: string): void {
    this.db.prepare('UPDATE decisions SET action_id = ? WHERE id = ?').run(actionId, id);
  }

  get(id: string): Decision | undefined {
    const r = this.db.prepare('SELECT * FROM decisions WHERE id = ?').get(id) as Row | undefined;
    return r ? decode(r) : undefined;
  }

  list(q: { policy?: string; verdict?: DecisionVerdict; before?: number; limit: number }): Decision[] {
    const where: string[] = [];
    const args: Record<string, unknown> = { limit: q.limit };
    if (q.policy) {
      where.push('policy = @policy');
      args.policy = q.policy;
    }
    if (q.verdict) {
      where.push('verdict = @verdict');
      args.verdict = q.verdict;
    }
    if (q.before !== undefined) {
      where.push('seq < @before');
      args.before = q.before;
    }
    return (
      this.db
        .prepare(
          `SELECT * FROM decisions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT @limit`
        )
        .all(args) as Row[]
    ).map(decode);
  }
}
