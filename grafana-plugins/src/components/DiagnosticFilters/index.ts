export { DiagnosticFilters } from './DiagnosticFilters';
export type { DiagnosticFiltersProps } from './DiagnosticFilters';
