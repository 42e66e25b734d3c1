export { DiagnosticFormModal } from './DiagnosticFormModal';
export type { DiagnosticFormModalProps } from './DiagnosticFormModal';
