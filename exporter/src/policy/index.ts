export { PolicyService, PolicyLoadError } from './policy-service';
export type { PolicyDeps, PolicyError, PolicySource, RunningPolicy } from './policy-service';
export { policyRoutes } from './policy-router';
export { policyDocumentSchema, signalSchema } from './policy-document';
export type { PolicyDocument, Signal } from './policy-document';
export { validatePolicyText, checkDocument, policyVersionOf } from './policy-validator';
export type { PolicyProblem, PolicyValidation, ValidPolicy, ValidationContext } from './policy-validator';
