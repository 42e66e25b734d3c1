export { FleetButtons } from './FleetButtons';
