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
  AgentServiceOptions,
  QueueProblem,
  TaskMove,
} from './agent-service';
export { AGENT_STATUSES, ATTEMPT_OUTCOMES, AgentsRepository, TASK_STATUSES } from './agents-repository';
export type {
  Agent,
  AgentStatus,
  AttemptOutcome,
  Performance,
  Task,
  TaskAttempt,
  TaskStatus,
} from './agents-repository';
export { agentsRoutes } from './agents-router';
export { agentsActions } from './agents-actions';
export { AgentsPart, HEARTBEAT_SUBJECT } from './agents-part';
export { heartbeatBody, registerBody, createTaskBody, taskUpdateBody } from './agent-schemas';
