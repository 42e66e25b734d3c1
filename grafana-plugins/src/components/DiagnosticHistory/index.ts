export { DiagnosticHistory } from './DiagnosticHistory';
export type { DiagnosticHistoryProps } from './DiagnosticHistory';
