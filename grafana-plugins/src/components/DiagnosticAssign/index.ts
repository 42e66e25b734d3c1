export { DiagnosticAssign } from './DiagnosticAssign';
export type { DiagnosticAssignProps } from './DiagnosticAssign';
