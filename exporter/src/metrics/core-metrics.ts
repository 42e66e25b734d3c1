import type { MetricsRegistry } from './metrics-registry';
import { FAST_BUCKETS } from './metrics-registry';

/** Metrics of the core parts (events, store, HTTP, lineage). Other parts register their own. */
/** Point-in-time values read at scrape time (collect), never on a timer. */
export interface CoreProbes {
  storeSizeBytes: () => number;
  storeEvents: () => number;
  lineage: () => {
    model: string | null;
    active: string | null;
    canary: string | null;
    byStatus: Record<string, number>;
  };
}

export function createCoreMetrics(reg: MetricsRegistry, version: string, probes: CoreProbes) {
  const buildInfo = reg.gauge({
    name: 'lookout_build_info',
    help: 'Always 1; labels carry the sidecar version and the Node.js version',
    labelNames: ['version', 'nodejs'] as const,
  });
  buildInfo.set({ version, nodejs: process.versions.node }, 1);
  return {
    eventsIngested: reg.counter({
      name: 'lookout_events_ingested_total',
      help: 'Events committed to the store, by source and severity',
      labelNames: ['source', 'severity'] as const,
    }),
    eventsRejected: reg.counter({
      name: 'lookout_events_rejected_total',
      help: 'Events refused by the ingest path because they did not match the envelope schema',
      labelNames: ['source'] as const,
    }),
    storeWriteSeconds: reg.histogram({
      name: 'lookout_store_write_duration_seconds',
      help: 'Time to commit one ingest transaction to SQLite',
      buckets: FAST_BUCKETS,
    }),
    storeSizeBytes: reg.gauge({
      name: 'lookout_store_size_bytes',
      help: 'Size of the SQLite database including its WAL',
      collect() {
        this.set(probes.storeSizeBytes());
      },
    }),
    storeEvents: reg.gauge({
      name: 'lookout_store_events',
      help: 'Events currently held in the store',
      collect() {
        this.set(probes.storeEvents());
      },
    }),
    retentionDeleted: reg.counter({
      name: 'lookout_store_retention_deleted_total',
      help: 'Events deleted by retention (age or count)',
    }),
    httpRequests: reg.counter({
      name: 'lookout_http_requests_total',
      help: 'HTTP requests by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'] as const,
    }),
    httpSeconds: reg.histogram({
      name: 'lookout_http_request_duration_seconds',
      help: 'HTTP request latency by method and route pattern',
      labelNames: ['method', 'route'] as const,
      buckets: FAST_BUCKETS,
    }),
    sseClients: reg.gauge({
      name: 'lookout_sse_clients',
      help: 'Open SSE stream connections',
    }),
    lineageGenerations: reg.gauge({
      name: 'lookout_lineage_generations',
      help: 'Generations in the current lineage by status',
      labelNames: ['status'] as const,
      collect() {
        for (const [status, n] of Object.entries(probes.lineage().byStatus)) this.set({ status }, n);
      },
    }),
    lineageActiveInfo: reg.gauge({
      name: 'lookout_lineage_active_generation_info',
      help: 'Always 1 for the generation currently active (and canary), labelled by model and generation',
      labelNames: ['model', 'generation', 'pointer'] as const,
      collect() {
        this.reset();
        const l = probes.lineage();
        if (!l.model) return;
        if (l.active) this.set({ model: l.model, generation: l.active, pointer: 'active' }, 1);
        if (l.canary) this.set({ model: l.model, generation: l.canary, pointer: 'canary' }, 1);
      },
    }),
  };
}
export type CoreMetrics = ReturnType<typeof createCoreMetrics>;
