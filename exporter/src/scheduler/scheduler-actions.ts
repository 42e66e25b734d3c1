import { z } from 'zod';
import { type LocalAction, parseActionParams } from '../actions/local-action';
import type { PauseState, Scheduler } from './scheduler';

const noParams = z.strictObject({});

/**
 * Pausing and resuming the scheduler as sidecar actions: the plan shows who paused it, when and why
 * (the guardian included), the apply records the person and their reason in the pause state.
 */
export function schedulerActions(scheduler: Scheduler): LocalAction[] {
  const make = (pause: boolean): LocalAction => ({
    name: pause ? 'scheduler_pause' : 'scheduler_resume',
    summary: pause
      ? 'Pause the scheduler: no scheduled action until resumed (halt policies still act)'
      : 'Resume the scheduler',
    access: 'operator',
    refusedByKillSwitch: false,
    params: (raw) => parseActionParams(pause ? 'scheduler_pause' : 'scheduler_resume', noParams, raw),
    target: () => ({ scheduler: scheduler.pauseState() }),
    judge: (_params, target) => {
      const st = target['scheduler'] as PauseState;
      if (st.paused === pause && st.reason !== 'pause state unreadable') {
        const by = st.actor ? ` by ${st.actor}` : '';
        return {
          changes: [],
          interlocks: [
            pause
              ? { code: 'already_paused', message: `the scheduler is already paused${by}: ${st.reason ?? ''}`.trim() }
              : { code: 'not_paused', message: 'the scheduler is not paused' },
          ],
        };
      }
      return { changes: [{ field: 'scheduler.paused', from: st.paused, to: pause }], interlocks: [] };
    },
    execute: (req) => {
      const changed = pause
        ? scheduler.pause(req.actor, req.reason, { action_id: req.action_id })
        : scheduler.resume(req.actor, req.reason, { action_id: req.action_id });
      return changed
        ? { ok: true, message: pause ? 'scheduler paused' : 'scheduler resumed' }
        : { ok: false, message: pause ? 'the scheduler was already paused' : 'the scheduler was not paused' };
    },
  });
  return [make(true), make(false)];
}
