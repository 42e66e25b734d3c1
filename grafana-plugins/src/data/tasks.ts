import type { Agent, Task } from '../api';

/**
 * Which queue controls a task offers. The sidecar decides (the plan names what refuses an action); these only keep
 * buttons that could never apply out of the way.
 */
export interface TaskControls {
  assign: boolean;
  requeue: boolean;
  cancel: boolean;
}

export function taskControls(t: Task): TaskControls {
  const held = t.status === 'assigned' || t.status === 'in_progress';
  return {
    assign: t.status === 'queued' || t.status === 'assigned',
    requeue: t.status === 'dead_letter' || held || (t.status === 'queued' && t.retry_at !== null),
    cancel: t.status !== 'done' && t.status !== 'cancelled',
  };
}

/** "2 of 3 failed", or nothing before the first failure. */
export function failuresText(t: Task): string {
  return t.failures > 0 ? `${t.failures} of ${t.max_attempts} failed` : '';
}

/** Agents a task could be handed to by hand: registered, reachable and not draining. */
export function assignableAgents(agents: readonly Agent[]): Agent[] {
  return agents.filter((a) => !a.draining && a.status !== 'offline' && a.status !== 'down');
}
