export { Backtest as default } from './Backtest';
