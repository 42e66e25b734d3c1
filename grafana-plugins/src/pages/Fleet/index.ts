export { Fleet as default } from './Fleet';
