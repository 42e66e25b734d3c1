export { ActionService } from './action-service';
export type { ActionDefinition, ActionDeps, Caller, ControlState, Expectation } from './action-service';
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
  ActionParamsError,
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
export { actionsConfigSchema, BUILTIN_ACTIONS, LOCAL_ACTIONS } from './actions-config';
export type {
  ActionsConfig,
  BuiltinAction,
  CustomActionConfig,
  ExecutorConfig,
  LocalActionName,
} from './actions-config';
export { parseActionParams } from './local-action';
export type { LocalAction } from './local-action';
