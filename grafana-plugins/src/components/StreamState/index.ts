export { StreamState } from './StreamState';
