export { FleetActionFlow } from './FleetActionFlow';
export type { FleetActionFlowProps } from './FleetActionFlow';
