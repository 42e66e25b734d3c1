import { z } from 'zod';
import type { Change, Interlock } from '../actions/actions-repository';
import { type LocalAction, parseActionParams } from '../actions/local-action';
import { agentNameSchema } from './agent-schemas';
import type { AgentService, QueueProblem } from './agent-service';
import type { Agent, Task } from './agents-repository';

const taskParams = z.strictObject({
  task_id: z.coerce.number().int().positive('a task id'),
});
const assignParams = taskParams.extend({
  agent: agentNameSchema.optional().describe('The agent to assign to; without it, the best available one'),
});
const agentParams = z.strictObject({ agent: agentNameSchema });

const interlocks = (problems: readonly QueueProblem[]): Interlock[] =>
  problems.map((p) => ({ code: p.code, message: p.message }));

/** What a plan shows of a task and binds to: a change to any of it makes the plan stale. */
function taskTarget(t: Task | undefined): Record<string, unknown> {
  if (!t) return { task: null };
  return {
    task: {
      id: t.id,
      title: t.title,
      status: t.status,
      agent: t.agent,
      failures: t.failures,
      max_attempts: t.max_attempts,
      retry_at: t.retry_at,
      last_error: t.last_error,
    },
  };
}

function agentTarget(a: Agent | undefined): Record<string, unknown> {
  if (!a) return { agent: null };
  return { agent: { name: a.name, status: a.status, draining: a.draining, load: a.load } };
}

const taskOf = (target: Record<string, unknown>): ReturnType<typeof taskTarget>['task'] & Partial<Task> =>
  (target['task'] ?? {}) as Partial<Task>;

/** Runs a queue operation; a refusal by the state becomes the action's failure message. */
function attempt(fn: () => string): { ok: boolean; message: string } {
  try {
    return { ok: true, message: fn() };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

/**
 * The task queue's and agent registry's operator controls as sidecar actions: plan (what would
 * change; what refuses it) → apply with a reason. Each runs the same service call as its REST route.
 */
export function agentsActions(service: AgentService): LocalAction[] {
  const getTask = (params: Record<string, unknown>): Task | undefined =>
    service.repo.getTask(Number(params['task_id']));

  const taskAssign: LocalAction = {
    name: 'task_assign',
    summary: 'Assign a task to an agent (params.task_id, params.agent; without an agent, the best available one)',
    access: 'operator',
    refusedByKillSwitch: false,
    params: (raw) => parseActionParams('task_assign', assignParams, raw),
    target: (params) => {
      const check = service.assignProblems(Number(params['task_id']), params['agent'] as string | undefined);
      return { ...taskTarget(getTask(params)), ...agentTarget(check.agent ?? undefined) };
    },
    judge: (params, target) => {
      const check = service.assignProblems(Number(params['task_id']), params['agent'] as string | undefined);
      const t = taskOf(target);
      const changes: Change[] = [];
      if (check.agent) {
        if (t.status !== 'assigned') changes.push({ field: 'task.status', from: t.status ?? null, to: 'assigned' });
        changes.push({ field: 'task.agent', from: t.agent ?? null, to: check.agent.name });
      }
      return {
        changes,
        interlocks: interlocks(check.problems),
        resolved: check.agent ? { agent: check.agent.name } : {},
      };
    },
    execute: (req) =>
      attempt(() => {
        const agent = req.params['agent'] as string;
        service.assignTask(Number(req.params['task_id']), agent, req.actor, req.reason);
        return `task ${String(req.params['task_id'])} assigned to ${agent}`;
      }),
  };

  const taskCancel: LocalAction = {
    name: 'task_cancel',
    summary: 'Cancel a task (params.task_id); an agent holding it is told',
    access: 'operator',
    refusedByKillSwitch: false,
    params: (raw) => parseActionParams('task_cancel', taskParams, raw),
    target: (params) => taskTarget(getTask(params)),
    judge: (params, target) => {
      const t = taskOf(target);
      const problems = service.cancelProblems(Number(params['task_id']));
      return {
        changes: problems.length
          ? []
          : [
              { field: 'task.status', from: t.status ?? null, to: 'cancelled' },
              ...(t.agent ? [{ field: 'task.agent', from: t.agent, to: null }] : []),
            ],
        interlocks: interlocks(problems),
      };
    },
    execute: (req) =>
      attempt(() => {
        service.cancelTask(Number(req.params['task_id']), req.actor, req.reason);
        return `task ${String(req.params['task_id'])} cancelled`;
      }),
  };

  const taskRequeue: LocalAction = {
    name: 'task_requeue',
    summary:
      'Requeue a task (params.task_id): a dead letter with a fresh failure budget, a held task taken from its agent, a waiting retry now',
    access: 'operator',
    refusedByKillSwitch: false,
    params: (raw) => parseActionParams('task_requeue', taskParams, raw),
    target: (params) => taskTarget(getTask(params)),
    judge: (params, target) => {
      const t = taskOf(target);
      const problems = service.requeueProblems(Number(params['task_id']));
      const changes: Change[] = [];
      if (!problems.length) {
        if (t.status !== 'queued') changes.push({ field: 'task.status', from: t.status ?? null, to: 'queued' });
        if (t.agent) changes.push({ field: 'task.agent', from: t.agent, to: null });
        if (t.status === 'dead_letter') changes.push({ field: 'task.failures', from: t.failures ?? null, to: 0 });
        if (t.retry_at) changes.push({ field: 'task.retry_at', from: t.retry_at, to: null });
      }
      return { changes, interlocks: interlocks(problems) };
    },
    execute: (req) =>
      attempt(() => {
        service.requeueTask(Number(req.params['task_id']), req.actor, req.reason);
        return `task ${String(req.params['task_id'])} requeued`;
      }),
  };

  const drain = (draining: boolean): LocalAction => ({
    name: draining ? 'agent_drain' : 'agent_undrain',
    summary: draining
      ? 'Drain an agent (params.agent): it finishes what it holds and is given nothing new'
      : 'End a drain (params.agent): the agent is given work again',
    access: 'operator',
    refusedByKillSwitch: false,
    params: (raw) => parseActionParams(draining ? 'agent_drain' : 'agent_undrain', agentParams, raw),
    target: (params) => agentTarget(service.repo.getAgent(String(params['agent']))),
    judge: (params) => {
      const problems = service.drainProblems(String(params['agent']), draining);
      return {
        changes: problems.length ? [] : [{ field: 'agent.draining', from: !draining, to: draining }],
        interlocks: interlocks(problems),
      };
    },
    execute: (req) =>
      attempt(() => {
        service.setDraining(String(req.params['agent']), draining, req.actor, req.reason);
        return `agent ${String(req.params['agent'])} ${draining ? 'draining' : 'given work again'}`;
      }),
  });

  const agentDeregister: LocalAction = {
    name: 'agent_deregister',
    summary: 'Remove an agent (params.agent); the tasks it holds go back to the queue',
    access: 'operator',
    refusedByKillSwitch: false,
    params: (raw) => parseActionParams('agent_deregister', agentParams, raw),
    target: (params) => {
      const name = String(params['agent']);
      return { ...agentTarget(service.repo.getAgent(name)), holds: service.repo.heldBy(name) };
    },
    judge: (params, target) => {
      const problems = service.deregisterProblems(String(params['agent']));
      const holds = (target['holds'] ?? []) as number[];
      return {
        changes: problems.length
          ? []
          : [
              { field: 'agent.registered', from: true, to: false },
              ...holds.map((id) => ({ field: `task.${id}.status`, from: 'held', to: 'queued' })),
            ],
        interlocks: interlocks(problems),
      };
    },
    execute: (req) =>
      attempt(() => {
        const r = service.deregister(String(req.params['agent']), req.actor, req.reason);
        return `agent ${String(req.params['agent'])} removed; ${r.requeued.length} task(s) requeued`;
      }),
  };

  return [taskAssign, taskCancel, taskRequeue, drain(true), drain(false), agentDeregister];
}
