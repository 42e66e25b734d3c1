export { Incidents as default } from './Incidents';
