export { Policy as default } from './Policy';
