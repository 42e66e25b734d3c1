// The agents module's public surface: values and types listed separately.
export {
  AgentNotFoundError,
  AgentService,
  AgentsConflictError,
  TASK_TRANSITIONS,
  TaskNotFoundError,
  TaskTransitionError,
  tasksSubject,
} from './agent-service';
export type {
  AgentStalenessProvider,
  Assignment,
  CreateTaskInput,
  HeartbeatInput,
  RegisterInput,
  TaskUpdateInput,
} from './agent-service';
export { AGENT_STATUSES, AgentsRepository, TASK_STATUSES } from './agents-repository';
export type { Agent, AgentStatus, Performance, Task, TaskStatus } from './agents-repository';
export { agentsRoutes } from './agents-router';
export { AgentsPart, HEARTBEAT_SUBJECT } from './agents-part';
export { heartbeatBody, registerBody, createTaskBody, taskUpdateBody } from './agent-schemas';
