// The public surface of the example workload; anything not listed here is internal.
export {
  createSimulator,
  kpiScore,
  COMMAND_ACTIONS,
  DEFAULT_SIMULATOR_OPTIONS,
  SYMBOLS,
  VENUES,
  SimulatorOptionsError,
} from './simulator';
export type { CommandAction, Simulator, SimulatorOptions, SimulatorState } from './simulator';
export { attachCommandBus, commandSubject, InvalidNodeNameError } from './command-bus';
export type { BusMessage, BusSubscription, CommandBus, CommandHandler, CommandReply } from './command-bus';
export { CHART_WIDTH, CHART_HEIGHT, renderCalibrationCharts } from './calibration-charts';
export type { CalibrationChart } from './calibration-charts';
export { LineageFileError } from './lineage-file';
export { WORKSPACE_PATHS } from './workspace-layout';
export type {
  CalibrationMetadata,
  CommandResult,
  Generation,
  GenerationStatus,
  Kpis,
  LineageIndex,
  LlmRecord,
  PropagationRecord,
  TaskRecord,
  TaskStatus,
  TaskType,
  TelemetryMetrics,
  TelemetrySample,
  TelemetrySnapshot,
} from './types';
