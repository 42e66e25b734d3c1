export { DiagnosticTransitions } from './DiagnosticTransitions';
export type { DiagnosticTransitionsProps } from './DiagnosticTransitions';
