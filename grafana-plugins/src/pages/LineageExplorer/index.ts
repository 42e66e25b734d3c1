export { LineageExplorer as default } from './LineageExplorer';
