export { Diagnostics as default } from './Diagnostics';
