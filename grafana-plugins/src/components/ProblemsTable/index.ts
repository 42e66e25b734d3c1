export { ProblemsTable } from './ProblemsTable';
export type { Problem } from './ProblemsTable';
