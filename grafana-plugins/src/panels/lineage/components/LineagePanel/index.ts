export { LineagePanel } from './LineagePanel';
