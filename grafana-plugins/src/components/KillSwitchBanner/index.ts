export { KillSwitchBanner } from './KillSwitchBanner';
