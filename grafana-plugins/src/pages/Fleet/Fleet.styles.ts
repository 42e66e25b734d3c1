export { getPageStyles as getStyles } from '../styles';
