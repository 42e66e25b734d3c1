export { DiagnosticComments } from './DiagnosticComments';
export type { DiagnosticCommentsProps } from './DiagnosticComments';
