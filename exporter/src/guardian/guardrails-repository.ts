import type { Db } from '../store/database';

export interface Guardrail {
  rule: string;
  latched_at: string;
  incident_id: string | null;
  triggers: number;
}

export interface Cooldown {
  key: string;
  until: string;
  set_at: string;
  origin: string;
}

/** Latched guardrails and cooldowns: durable, cleared together by flush_guardrails. */
export class GuardrailsRepository {
  // Read on every /metrics scrape and status build.
  private readonly latchedStmt;

  constructor(private readonly db: Db) {
    this.latchedStmt = db.prepare('SELECT * FROM guardrails ORDER BY latched_at');
  }

  latch(rule: string, incidentId: string | null, at: string): void {
    this.db
      .prepare(
        `INSERT INTO guardrails (rule, latched_at, incident_id, triggers) VALUES (?, ?, ?, 1)
         ON CONFLICT(rule) DO UPDATE SET triggers = triggers + 1`
      )
      .run(rule, at, incidentId);
  }

  isLatched(rule: string): boolean {
    return this.db.prepare('SELECT 1 FROM guardrails WHERE rule = ?').get(rule) !== undefined;
  }

  latched(): Guardrail[] {
    return this.latchedStmt.all() as Guardrail[];
  }

  setCooldown(key: string, until: string, origin: string): void {
    this.db
      .prepare(
        `INSERT INTO cooldowns (key, until, set_at, origin) VALUES (?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET until = excluded.until, set_at = excluded.set_at, origin = excluded.origin`
      )
      .run(key, until, new Date().toISOString(), origin);
  }

  /** The cooldown of `key` when it is still running at `now`. */
  cooldown(key: string, now: string): Cooldown | undefined {
    return this.db.prepare('SELECT * FROM cooldowns WHERE key = ? AND until > ?').get(key, now) as Cooldown | undefined;
  }

  activeCooldowns(now: string): Cooldown[] {
    return this.db.prepare('SELECT * FROM cooldowns WHERE until > ? ORDER BY key').all(now) as Cooldown[];
  }

  /** Clears every latch and cooldown; returns what was cleared. */
  flush(): { guardrails: number; cooldowns: number } {
    return this.db.transaction(() => ({
      guardrails: this.db.prepare('DELETE FROM guardrails').run().changes,
      cooldowns: this.db.prepare('DELETE FROM cooldowns').run().changes,
    }))();
  }
}
