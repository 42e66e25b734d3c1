export { ApplyButtonRow, ReasonField } from './ApplyControls';
