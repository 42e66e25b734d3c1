export { ApplyButtonRow, InterlocksAlert, ReasonField } from './ApplyControls';
