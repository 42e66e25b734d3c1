import { z } from 'zod';
import type { ApiRouter } from '../api/api-router';
import { type Principal, actorOf } from '../api/auth';
import { ApiError } from '../api/errors';
import type { RouteModule } from '../api/http-server';
import { pageByKey } from '../api/paging';
import { csvList, cursorParam, limitParam, pageOf, stdErrors } from '../api/schemas';
import { AGENT_STATUSES, type Agent, TASK_STATUSES, type Task } from './agents-repository';
import {
  type AgentService,
  AgentNotFoundError,
  AgentsConflictError,
  TaskNotFoundError,
  TaskTransitionError,
} from './agent-service';
import {
  agentNameSchema,
  agentPatchBody,
  agentView,
  assignBody,
  attemptView,
  classicAgentStatusBody,
  createTaskBody,
  heartbeatBody,
  registerBody,
  taskUpdateBody,
  taskView,
} from './agent-schemas';

const nameParam = z.object({ name: agentNameSchema });
const idParam = z.object({ id: z.coerce.number().int().positive('a task id') });

const agentsQuery = z.strictObject({
  cursor: cursorParam.optional(),
  limit: limitParam(1000, 100),
  status: csvList(z.enum(AGENT_STATUSES)).optional(),
  capability: z.string().max(64).optional(),
});

const tasksQuery = z.strictObject({
  cursor: cursorParam.optional(),
  limit: limitParam(1000, 100),
  status: csvList(z.enum(TASK_STATUSES)).optional(),
  agent: agentNameSchema.optional(),
  category: z.string().max(100).optional(),
});

const errors = {
  ...stdErrors,
  404: { description: 'No such agent or task', schema: stdErrors[400].schema },
  409: { description: 'The state refuses this (transition, dependencies, capacity)', schema: stdErrors[400].schema },
};

function view(a: Agent): z.infer<typeof agentView> {
  return { ...a, heartbeat_age_s: Math.max(0, Math.round((Date.now() - Date.parse(a.last_heartbeat)) / 100) / 10) };
}

/** Agent tokens act only as themselves: the token's name is the agent's name. */
function ensureSelf(p: Principal, agent: string): void {
  if (p.role === 'agent' && p.token !== agent) {
    throw new ApiError('forbidden', `agent token ${p.token} may act only on agent ${p.token}, not ${agent}`);
  }
}

function ensureOwnTask(p: Principal, t: Task): void {
  if (p.role === 'agent' && t.agent !== p.token) {
    throw new ApiError('forbidden', `task ${t.id} is not assigned to agent ${p.token}`);
  }
}

/** Domain errors → API errors. */
function mapped<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AgentNotFoundError || err instanceof TaskNotFoundError)
      throw new ApiError('not_found', err.message);
    if (err instanceof TaskTransitionError) {
      throw new ApiError('invalid_transition', err.message, { from: err.from, to: err.to, allowed: err.allowed });
    }
    if (err instanceof AgentsConflictError) throw new ApiError('conflict', err.message, err.details);
    throw err;
  }
}

/** `/api/v1/agents`, `/api/v1/tasks` and the classic `/api/agents`, `/api/tasks` aliases. */
export function agentsRoutes(service: AgentService): RouteModule {
  return (api: ApiRouter): void => {
    const tags = ['agents'];

    const listAgents = ({
      query,
    }: {
      query: z.infer<typeof agentsQuery>;
    }): { items: z.infer<typeof agentView>[]; next_cursor: string | null } => {
      const rows = service.listAgents({
        status: query.status,
        capability: query.capability,
        after: query.cursor,
        limit: query.limit + 1,
      });
      return pageByKey(
        rows,
        query.limit,
        (a) => a.rowid,
        ({ rowid: _r, ...a }) => view(a)
      );
    };
    const listTasks = ({
      query,
    }: {
      query: z.infer<typeof tasksQuery>;
    }): { items: Task[]; next_cursor: string | null } => {
      const rows = service.listTasks({
        status: query.status,
        agent: query.agent,
        category: query.category,
        after: query.cursor,
        limit: query.limit + 1,
      });
      return pageByKey(
        rows,
        query.limit,
        (task) => task.id,
        (task) => task
      );
    };

    for (const alias of [false, true]) {
      const base = alias ? '/api' : '/api/v1';
      api.add(
        {
          method: 'get',
          path: `${base}/agents`,
          access: 'viewer',
          summary: 'Agents; filter by status and capability; cursor paging',
          tags,
          query: agentsQuery,
          alias,
          responses: { 200: { description: 'A page of agents', schema: pageOf(agentView) }, ...errors },
        },
        listAgents
      );
      api.add(
        {
          method: 'post',
          path: `${base}/agents`,
          access: 'agent',
          summary: 'Register (or re-register) an agent; an agent token registers only itself',
          tags,
          body: registerBody,
          alias,
          responses: {
            201: { description: 'Registered', schema: agentView },
            200: { description: 'Re-registered', schema: agentView },
            ...errors,
          },
        },
        ({ body, principal, res }) =>
          mapped(() => {
            ensureSelf(principal, body.name);
            const r = service.register(body, actorOf(principal));
            res.status(r.created ? 201 : 200);
            return view(r.agent);
          })
      );
      api.add(
        {
          method: 'post',
          path: `${base}/agents/:name/heartbeat`,
          access: 'agent',
          summary: 'Heartbeat, with an optional status and performance numbers (cpu, memory, custom)',
          tags,
          params: nameParam,
          body: heartbeatBody,
          alias,
          responses: { 200: { description: 'The agent after the heartbeat', schema: agentView }, ...errors },
        },
        ({ params, body, principal }) =>
          mapped(() => {
            ensureSelf(principal, params.name);
            return view(service.heartbeat(params.name, body, actorOf(principal)));
          })
      );
      api.add(
        {
          method: 'get',
          path: `${base}/tasks`,
          access: 'viewer',
          summary: 'Tasks; filter by status, agent, category; cursor paging (oldest first)',
          tags,
          query: tasksQuery,
          alias,
          responses: { 200: { description: 'A page of tasks', schema: pageOf(taskView) }, ...errors },
        },
        listTasks
      );
      api.add(
        {
          method: 'post',
          path: `${base}/tasks`,
          access: 'operator',
          summary: 'Create a task (title, description, priority, category, estimated_duration, dependencies)',
          tags,
          body: createTaskBody,
          alias,
          responses: { 201: { description: 'Created (queued)', schema: taskView }, ...errors },
        },
        ({ body, principal, res }) =>
          mapped(() => {
            const t = service.createTask(body, actorOf(principal));
            res.status(201);
            return t;
          })
      );
      api.add(
        {
          method: 'post',
          path: `${base}/tasks/:id/assign`,
          access: 'operator',
          summary: 'Assign a task: to the named agent, or (no agent) to the best available one',
          tags,
          params: idParam,
          body: assignBody,
          alias,
          responses: { 200: { description: 'Assigned', schema: taskView }, ...errors },
        },
        ({ params, body, principal }) => mapped(() => service.assignTask(params.id, body.agent, actorOf(principal)))
      );
    }

    // Classic shapes: PUT for updates.
    api.add(
      {
        method: 'put',
        path: '/api/agents/:name/status',
        access: 'agent',
        summary: 'Classic alias: set an agent status (idle, busy, offline)',
        tags,
        params: nameParam,
        body: classicAgentStatusBody,
        alias: true,
        responses: { 200: { description: 'The agent', schema: agentView }, ...errors },
      },
      ({ params, body, principal }) =>
        mapped(() => {
          ensureSelf(principal, params.name);
          return view(service.updateAgent(params.name, { status: body.status }, actorOf(principal)));
        })
    );
    api.add(
      {
        method: 'put',
        path: '/api/tasks/:id',
        access: 'agent',
        summary: 'Classic alias: update a task status (with actual_duration)',
        tags,
        params: idParam,
        body: taskUpdateBody,
        alias: true,
        responses: { 200: { description: 'The task', schema: taskView }, ...errors },
      },
      ({ params, body, principal }) => mapped(() => updateTask(service, params.id, body, principal))
    );

    api.add(
      {
        method: 'get',
        path: '/api/v1/agents/:name',
        access: 'viewer',
        summary: 'One agent with its load, heartbeat age and performance',
        tags,
        params: nameParam,
        responses: { 200: { description: 'The agent', schema: agentView }, ...errors },
      },
      ({ params }) => mapped(() => view(service.getAgent(params.name)))
    );
    api.add(
      {
        method: 'patch',
        path: '/api/v1/agents/:name',
        access: 'agent',
        summary: 'Update an agent: status, performance, capabilities, priority_score, max_tasks, heartbeat window',
        tags,
        params: nameParam,
        body: agentPatchBody,
        responses: { 200: { description: 'The agent', schema: agentView }, ...errors },
      },
      ({ params, body, principal }) =>
        mapped(() => {
          ensureSelf(principal, params.name);
          return view(service.updateAgent(params.name, body, actorOf(principal)));
        })
    );
    api.add(
      {
        method: 'delete',
        path: '/api/v1/agents/:name',
        access: 'operator',
        summary: 'Deregister an agent; its tasks go back to the queue',
        tags,
        params: nameParam,
        responses: {
          200: {
            description: 'Removed',
            schema: z.object({ removed: z.string(), requeued_tasks: z.array(z.number()) }),
          },
          ...errors,
        },
      },
      ({ params, principal }) =>
        mapped(() => ({
          removed: params.name,
          requeued_tasks: service.deregister(params.name, actorOf(principal)).requeued,
        }))
    );
    api.add(
      {
        method: 'get',
        path: '/api/v1/agents/:name/tasks',
        access: 'agent',
        summary: "An agent's tasks (an agent token sees its own); filter by status",
        tags,
        params: nameParam,
        query: tasksQuery.omit({ agent: true }),
        responses: { 200: { description: 'A page of tasks', schema: pageOf(taskView) }, ...errors },
      },
      ({ params, query, principal }) =>
        mapped(() => {
          ensureSelf(principal, params.name);
          service.getAgent(params.name);
          return listTasks({ query: { ...query, agent: params.name } });
        })
    );
    api.add(
      {
        method: 'get',
        path: '/api/v1/tasks/:id',
        access: 'viewer',
        summary: 'One task with its dependencies and timings',
        tags,
        params: idParam,
        responses: { 200: { description: 'The task', schema: taskView }, ...errors },
      },
      ({ params }) => mapped(() => service.getTask(params.id))
    );
    api.add(
      {
        method: 'get',
        path: '/api/v1/tasks/:id/attempts',
        access: 'viewer',
        summary: "A task's attempts, oldest first: agent, start, end, outcome, error, the retry it scheduled",
        tags,
        params: idParam,
        responses: {
          200: { description: 'The attempts', schema: z.object({ items: z.array(attemptView) }) },
          ...errors,
        },
      },
      ({ params }) => mapped(() => ({ items: service.attempts(params.id) }))
    );
    api.add(
      {
        method: 'patch',
        path: '/api/v1/tasks/:id',
        access: 'agent',
        summary:
          'Update a task status (in_progress, done, failed with an error, queued; cancelled by operators) with actual_duration',
        tags,
        params: idParam,
        body: taskUpdateBody,
        responses: { 200: { description: 'The task', schema: taskView }, ...errors },
      },
      ({ params, body, principal }) => mapped(() => updateTask(service, params.id, body, principal))
    );
  };
}

function updateTask(
  service: AgentService,
  id: number,
  body: z.infer<typeof taskUpdateBody>,
  principal: Principal
): Task {
  const t = service.getTask(id);
  ensureOwnTask(principal, t);
  if (principal.role === 'agent' && body.status === 'cancelled') {
    throw new ApiError('forbidden', 'only operators cancel tasks');
  }
  return service.updateTask(id, body, actorOf(principal));
}
