export { ActionService } from './action-service';
export type { ActionDefinition, ActionDeps, Caller, ControlState, Expectation, PlannedAction } from './action-service';
export { actionsRoutes, actionView, planView, callerOf, actionApiError } from './actions-router';
export { ActionsRepository, ACTION_STATUSES, ACTION_TRIGGERS } from './actions-repository';
export type { ActionRecord, ActionStatus, ActionTrigger, Change, Interlock, Plan } from './actions-repository';
export {
  BusExecutor,
  WebhookExecutor,
  CommandExecutor,
  createExecutor,
  ExecutorError,
  ExecutorTimeoutError,
} from './executors';
export type { Executor, ExecutionRequest, ExecutionResult } from './executors';
export {
  ActionRefusedError,
  ActionForbiddenError,
  ActionNotFoundError,
  IdempotencyMismatchError,
  InterlockError,
  PlanConflictError,
  PlanExpiredError,
  PlanNotFoundError,
  PlanRefusedError,
  PlanRequiredError,
  PlanStaleError,
  UnknownActionError,
} from './action-errors';
export { actionsConfigSchema, BUILTIN_ACTIONS, PLANNED_ACTIONS } from './actions-config';
export type { ActionsConfig, BuiltinAction, CustomActionConfig, ExecutorConfig } from './actions-config';
