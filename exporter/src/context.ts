import type { Config } from './config/config-schema';
import type { Logger } from './log/logger';
import type { Db } from './store/database';
import type { EventLog } from './events/event-log';
import type { KvRepository } from './store/kv-repository';
import type { LineageRepository } from './store/lineage-repository';
import type { ArtifactsRepository } from './store/artifacts-repository';
import type { TelemetryRepository } from './store/telemetry-repository';
import type { MetricsRegistry } from './metrics/metrics-registry';
import type { CoreMetrics } from './metrics/core-metrics';
import type { Bus } from './bus/bus';
import type { TelemetryService } from './telemetry';
import type { StoreHealth } from './store/store-health';

/** A part of the sidecar with a lifecycle; main.ts starts them in order and stops them in reverse. */
export interface Part {
  readonly name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

export type ReadinessCheck = () => { ok: boolean; detail?: string };

/** Parts contribute sections to GET /api/v1/status and checks to GET /readyz. */
export class StatusRegistry {
  private readonly sections = new Map<string, () => unknown>();
  private readonly checks = new Map<string, ReadinessCheck>();

  section(name: string, provider: () => unknown): void {
    this.sections.set(name, provider);
  }

  readiness(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  snapshot(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, p] of this.sections) out[name] = p();
    return out;
  }

  ready(): { ok: boolean; checks: Record<string, { ok: boolean; detail?: string }> } {
    const checks: Record<string, { ok: boolean; detail?: string }> = {};
    let ok = true;
    for (const [name, c] of this.checks) {
      let r: { ok: boolean; detail?: string };
      try {
        r = c();
      } catch (err) {
        r = { ok: false, detail: (err as Error).message };
      }
      checks[name] = r;
      ok &&= r.ok;
    }
    return { ok, checks };
  }
}

/** Everything a part may use. Built once in main.ts. */
export interface SidecarContext {
  config: Config;
  version: string;
  startedAt: Date;
  log: Logger;
  db: Db;
  dbFile: string;
  /** Whether the store can write; ingestion pauses and control answers 503 while it cannot. */
  storeHealth: StoreHealth;
  events: EventLog;
  kv: KvRepository;
  lineage: LineageRepository;
  artifacts: ArtifactsRepository;
  telemetryRepo: TelemetryRepository;
  telemetry: TelemetryService;
  metrics: MetricsRegistry;
  core: CoreMetrics;
  bus: Bus;
  status: StatusRegistry;
}
