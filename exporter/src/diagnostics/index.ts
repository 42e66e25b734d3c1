// The public surface of the diagnostics tracker; anything not listed here is internal.
export { DiagnosticsPart } from './diagnostics-part';
export { diagnosticsRoutes, diagnosticViewSchema } from './diagnostics-router';
export {
  DiagnosticsService,
  DiagnosticNotFoundError,
  InvalidTransitionError,
  InvalidCursorError,
  INCIDENT_CURSOR_KEY,
} from './diagnostics-service';
export type {
  DiagnosticView,
  DiagnosticDetail,
  DiagnosticsAnalytics,
  CommentView,
  IncidentLinkView,
  ListRequest,
} from './diagnostics-service';
export { DiagnosticsRepository } from './diagnostics-repository';
export type { DiagnosticListQuery, NewDiagnostic } from './diagnostics-repository';
export { DiagnosticsNotifier, WebhookDeliveryError, notificationSubject } from './diagnostics-notifier';
export type { DiagnosticNotification } from './diagnostics-notifier';
export { createDiagnosticsMetrics, RESOLUTION_BUCKETS } from './diagnostics-metrics';
export type { DiagnosticsMetrics } from './diagnostics-metrics';
export { quantile, weekStart, weeklyTrend, estimateResolution, resolutionStats } from './diagnostics-analytics';
export type { ResolutionEstimate, ResolutionStats, WeekCount, EstimateBasis } from './diagnostics-analytics';
export {
  DIAGNOSTIC_STATUSES,
  DIAGNOSTIC_SEVERITIES,
  TRANSITIONS,
  REOPENABLE,
  NOTIFICATION_KINDS,
  SORT_FIELDS,
  allowedTransitions,
  formatDiagnosticId,
} from './diagnostic';
export type {
  Diagnostic,
  DiagnosticStatus,
  DiagnosticSeverity,
  DiagnosticDraft,
  DiagnosticPatch,
  NotificationKind,
  SortField,
  SortOrder,
} from './diagnostic';
