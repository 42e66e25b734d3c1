export { KillSwitch, KILL_SWITCH_KEY } from './kill-switch';
export type { KillSwitchState } from './kill-switch';
export { Guardian, NO_AGENTS, describeRule } from './guardian';
export type { GuardianDeps, PlaybookHandlers, StalenessProvider } from './guardian';
export {
  RuleEvaluator,
  expandPlaybook,
  runPlaybook,
  ruleVersion,
  thresholdsOf,
  MAX_PLAYBOOK_DEPTH,
} from './rule-evaluator';
export type {
  EventRateRule,
  FamilyView,
  GuardianPolicy,
  GuardianSource,
  LatchView,
  LeafStep,
  RuleResult,
  SeriesView,
  StaleAgent,
  StepSink,
  Transition,
  Verdict,
} from './rule-evaluator';
export { countRuleEvents } from './event-count';
export { IncidentService, IncidentNotFoundError, IncidentTransitionError } from './incident-service';
export type { OpenIncidentInput } from './incident-service';
export { IncidentsRepository, INCIDENT_STATUSES } from './incidents-repository';
export type { Incident, IncidentSeverity, IncidentStatus } from './incidents-repository';
export { GuardrailsRepository } from './guardrails-repository';
export type { Cooldown, Guardrail } from './guardrails-repository';
export { incidentsRoutes } from './incidents-router';
export {
  guardianConfigSchema,
  guardianRuleSchema,
  playbookStepSchema,
  compare,
  COMPARISON_OPS,
  AGGREGATES,
  guardianProblems,
  labelMatcherSchema,
} from './guardian-config';
export type {
  ComparisonOp,
  GuardianConfig,
  GuardianRule,
  LabelMatcher,
  PlaybookStep,
  Playbooks,
  ThresholdRule,
} from './guardian-config';
export { parseDuration, durationSchema, DurationError } from './duration';
