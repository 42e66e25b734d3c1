export { ActionFlow } from './ActionFlow';
export type { ActionFlowProps } from './ActionFlow';
