export { BacktestChart } from './BacktestChart';
