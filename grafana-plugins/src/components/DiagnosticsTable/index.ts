export { DiagnosticsTable } from './DiagnosticsTable';
export type { DiagnosticsTableProps } from './DiagnosticsTable';
