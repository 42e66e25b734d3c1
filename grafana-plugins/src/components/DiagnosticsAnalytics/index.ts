export { DiagnosticsAnalytics } from './DiagnosticsAnalytics';
export type { DiagnosticsAnalyticsProps } from './DiagnosticsAnalytics';
