export { NodeScopeBanner } from './NodeScopeBanner';
