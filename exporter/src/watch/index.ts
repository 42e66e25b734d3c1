export { WorkspaceWatcher } from './workspace-watcher';
export type { WorkspaceWatcherOptions, ReconcileResult } from './workspace-watcher';
export { CLASSIFIERS, ERROR_REASONS, ClassifyError } from './classifiers/classifier';
export type { ClassifierName, ErrorReason } from './classifiers/classifier';
