export { TelemetryService } from './telemetry-service';
export type {
  IngestResult,
  SnapshotNotice,
  TelemetryListener,
  TelemetryOptions,
  TelemetryOrigin,
} from './telemetry-service';
export { parseTelemetrySnapshot, seriesKey, REJECT_REASONS, RESERVED_LABELS, SAMPLE_TYPES } from './telemetry-snapshot';
export type {
  ParsedSnapshot,
  RejectReason,
  SampleRejection,
  SampleType,
  SnapshotParse,
  TelemetrySample,
} from './telemetry-snapshot';
export { WorkloadFamily, WorkloadSeriesStore, exportNameOf, WORKLOAD_PREFIX } from './workload-series';
export type { SeriesState } from './workload-series';
