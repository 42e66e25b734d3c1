import type { MetricsRegistry } from '../metrics/metrics-registry';
import { CLASSIFIERS } from './classifiers/classifier';

/** Lag from a file's mtime to its events being committed: sub-second normally, minutes when recovered. */
export const LAG_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600];

/**
 * The watcher's metrics. Point-in-time values (files tracked, root present) are computed in
 * `collect()` at scrape time from the providers given, not kept up to date on a timer.
 */
export function createWatcherMetrics(
  reg: MetricsRegistry,
  providers: { filesByClassifier: () => Record<string, number>; rootPresent: () => boolean }
) {
  const files = reg.gauge({
    name: 'lookout_watcher_files',
    help: 'Files the watcher tracks (last ingested state in the store), by classifier',
    labelNames: ['classifier'] as const,
    collect() {
      const counts = providers.filesByClassifier();
      for (const c of CLASSIFIERS) this.set({ classifier: c }, counts[c] ?? 0);
    },
  });
  const rootPresent = reg.gauge({
    name: 'lookout_watcher_root_present',
    help: '1 when the watch root exists and is watched, 0 while it is missing',
    collect() {
      this.set(providers.rootPresent() ? 1 : 0);
    },
  });
  return {
    files,
    rootPresent,
    events: reg.counter({
      name: 'lookout_watcher_events_total',
      help: 'Events the watcher produced from workspace files, by classifier',
      labelNames: ['classifier'] as const,
    }),
    errors: reg.counter({
      name: 'lookout_watcher_errors_total',
      help: 'Workspace files refused or unreadable, by classifier and reason (parse, schema, too_large, outside_root, permission, binary, io)',
      labelNames: ['classifier', 'reason'] as const,
    }),
    recovered: reg.counter({
      name: 'lookout_watcher_recovered_total',
      help: 'Changes found by the reconciliation scan that the file watcher had not delivered, by classifier',
      labelNames: ['classifier'] as const,
    }),
    lag: reg.histogram({
      name: 'lookout_watcher_lag_seconds',
      help: "Time from a file's modification to its events being committed, by classifier",
      labelNames: ['classifier'] as const,
      buckets: LAG_BUCKETS,
    }),
    reconcileRuns: reg.counter({
      name: 'lookout_watcher_reconcile_runs_total',
      help: 'Reconciliation scans completed',
    }),
  };
}
export type WatcherMetrics = ReturnType<typeof createWatcherMetrics>;
