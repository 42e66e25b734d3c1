export { BacktestResult } from './BacktestResult';
