import { z } from 'zod';
import type { SidecarContext } from '../context';

export const KILL_SWITCH_KEY = 'guardian:kill_switch';

const stateSchema = z.object({
  engaged: z.boolean(),
  actor: z.string().nullable(),
  reason: z.string().nullable(),
  since: z.string().nullable(),
});
export type KillSwitchState = z.infer<typeof stateSchema> & {
  /** Set when the stored state could not be read: the switch then counts as engaged. */
  fail_safe?: string;
};

/**
 * The kill switch, persisted in the store so it survives restarts. Fail-safe: when its state cannot
 * be read or does not parse, it counts as engaged — a workload must never resume because a row rotted.
 */
export class KillSwitch {
  constructor(private readonly ctx: SidecarContext) {
    const engaged = (): number => (this.state().engaged ? 1 : 0);
    ctx.metrics.gauge({
      name: 'lookout_kill_switch_engaged',
      help: '1 while the kill switch is engaged (or its state is unreadable), else 0',
      collect() {
        this.set(engaged());
      },
    });
    ctx.status.section('kill_switch', () => {
      const s = this.state();
      return {
        engaged: s.engaged,
        actor: s.actor,
        reason: s.reason,
        since: s.since,
        ...(s.fail_safe ? { fail_safe: s.fail_safe } : {}),
      };
    });
  }

  state(): KillSwitchState {
    let raw: string | undefined;
    try {
      raw = this.ctx.kv.getRaw(KILL_SWITCH_KEY);
    } catch (err) {
      return {
        engaged: true,
        actor: null,
        reason: null,
        since: null,
        fail_safe: `state unreadable: ${(err as Error).message}`,
      };
    }
    if (raw === undefined) return { engaged: false, actor: null, reason: null, since: null };
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return { engaged: true, actor: null, reason: null, since: null, fail_safe: 'state is not valid JSON' };
    }
    const r = stateSchema.safeParse(parsed);
    if (!r.success)
      return { engaged: true, actor: null, reason: null, since: null, fail_safe: 'state does not match its schema' };
    return r.data;
  }

  isEngaged(): boolean {
    return this.state().engaged;
  }

  /** Engages (idempotent: engaging an engaged switch records nothing). Returns whether it changed. */
  engage(actor: string, reason: string, data: Record<string, unknown> = {}): boolean {
    const cur = this.state();
    if (cur.engaged && !cur.fail_safe) return false;
    const next = { engaged: true, actor, reason, since: new Date().toISOString() };
    this.ctx.db.transaction(() => {
      this.ctx.kv.set(KILL_SWITCH_KEY, next);
      this.ctx.events.append({
        source: 'guardian',
        kind: 'kill_switch.engaged',
        severity: 'critical',
        subject: 'kill_switch',
        actor,
        data: { ...data, actor, reason, since: next.since },
      });
    })();
    return true;
  }

  release(actor: string, reason: string, data: Record<string, unknown> = {}): boolean {
    const cur = this.state();
    if (!cur.engaged) return false;
    const next = { engaged: false, actor, reason, since: new Date().toISOString() };
    this.ctx.db.transaction(() => {
      this.ctx.kv.set(KILL_SWITCH_KEY, next);
      this.ctx.events.append({
        source: 'guardian',
        kind: 'kill_switch.released',
        severity: 'warning',
        subject: 'kill_switch',
        actor,
        data: { ...data, actor, reason, since: next.since, engaged_since: cur.since },
      });
    })();
    return true;
  }
}
