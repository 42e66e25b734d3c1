export { DiagnosticDrawer } from './DiagnosticDrawer';
export type { DiagnosticDrawerProps } from './DiagnosticDrawer';
