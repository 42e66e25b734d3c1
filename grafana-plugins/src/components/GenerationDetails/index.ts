export { GenerationDetails } from './GenerationDetails';
