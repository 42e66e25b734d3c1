import { type Db, prepareCached } from '../store/database';

export interface Guardrail {
  rule: string;
  /** A shadow rule's guardrail: latched like a live one, but it only records. */
  shadow: boolean;
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

type GuardrailRow = Omit<Guardrail, 'shadow'> & { shadow: number };

/**
 * Latched guardrails and cooldowns: durable, cleared together by flush_guardrails. A shadow rule's
 * guardrail is kept apart from a live one of the same name, so promoting a rule out of shadow starts
 * it unlatched.
 */
export class GuardrailsRepository {
  // Read on every /metrics scrape, status build and failing rule's tick.
  private readonly latchedStmt;
  private readonly isLatchedStmt;
  private readonly latchStmt;

  constructor(private readonly db: Db) {
    this.latchedStmt = db.prepare('SELECT * FROM guardrails WHERE shadow = ? ORDER BY latched_at');
    this.isLatchedStmt = db.prepare('SELECT 1 FROM guardrails WHERE rule = ? AND shadow = ?');
    this.latchStmt = db.prepare(
      `INSERT INTO guardrails (rule, shadow, latched_at, incident_id, triggers) VALUES (?, ?, ?, ?, 1)
       ON CONFLICT(rule, shadow) DO UPDATE SET triggers = triggers + 1`
    );
  }

  latch(rule: string, incidentId: string | null, at: string, shadow = false): void {
    this.latchStmt.run(rule, shadow ? 1 : 0, at, incidentId);
  }

  isLatched(rule: string, shadow = false): boolean {
    return this.isLatchedStmt.get(rule, shadow ? 1 : 0) !== undefined;
  }

  /** Latched guardrails of live rules, or of shadow rules. */
  latched(shadow = false): Guardrail[] {
    return (this.latchedStmt.all(shadow ? 1 : 0) as GuardrailRow[]).map((r) => ({ ...r, shadow: r.shadow === 1 }));
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
    return prepareCached(this.db, 'SELECT * FROM cooldowns WHERE key = ? AND until > ?').get(key, now) as
      Cooldown | undefined;
  }

  activeCooldowns(now: string): Cooldown[] {
    return prepareCached(this.db, 'SELECT * FROM cooldowns WHERE until > ? ORDER BY key').all(now) as Cooldown[];
  }

  /** Clears every latch (shadow ones too) and cooldown; returns what was cleared. */
  flush(): { guardrails: number; shadow_guardrails: number; cooldowns: number } {
    return this.db.transaction(() => ({
      guardrails: this.db.prepare('DELETE FROM guardrails WHERE shadow = 0').run().changes,
      shadow_guardrails: this.db.prepare('DELETE FROM guardrails WHERE shadow = 1').run().changes,
      cooldowns: this.db.prepare('DELETE FROM cooldowns').run().changes,
    }))();
  }
}
