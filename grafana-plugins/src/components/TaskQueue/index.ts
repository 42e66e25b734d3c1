export { AssignModal } from './AssignModal';
export type { AssignModalProps } from './AssignModal';
export { AttemptsDrawer } from './AttemptsDrawer';
export type { AttemptsDrawerProps } from './AttemptsDrawer';
export { TaskCreateModal } from './TaskCreateModal';
export type { TaskCreateModalProps } from './TaskCreateModal';
