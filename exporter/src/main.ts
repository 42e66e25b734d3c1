import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config/config-schema';
import { type Logger, createLogger } from './log/logger';
import { checkIntegrity, databaseSizeBytes, openDatabase } from './store/database';
import { KvRepository } from './store/kv-repository';
import { LineageRepository } from './store/lineage-repository';
import { ArtifactsRepository } from './store/artifacts-repository';
import { TelemetryRepository } from './store/telemetry-repository';
import { MetricsRegistry } from './metrics/metrics-registry';
import { createCoreMetrics } from './metrics/core-metrics';
import { EventLog } from './events/event-log';
import { TelemetryService } from './telemetry';
import { InProcessBus } from './bus/inprocess-bus';
import type { Bus } from './bus/bus';
import { BusPart, NatsBus } from './bus';
import { AgentService, type AgentStalenessProvider, AgentsPart, agentsActions, agentsRoutes } from './agents';
import { type Part, type SidecarContext, StatusRegistry } from './context';
import { VERSION } from './version';
import { HeartbeatPart } from './events/heartbeat';
import { RetentionPart } from './store/retention';
import { StoreHealth, classifyWriteError } from './store/store-health';
import { WorkspaceWatcher } from './watch/workspace-watcher';
import { HttpServer } from './api/http-server';
import { ensureTokens } from './api/auth';
import { DiagnosticsPart, diagnosticsRoutes } from './diagnostics';
import { ActionService, actionsRoutes } from './actions';
import { Guardian, GuardrailsRepository, IncidentService, KillSwitch, incidentsRoutes } from './guardian';
import { Scheduler, schedulerActions, schedulerRoutes } from './scheduler';
import { AuditLog, auditRoutes } from './audit';
import { StreamHub } from './api/routers/stream-router';
import { ConfigError } from './config/load-config';
import {
  FleetActions,
  FleetEventsRepository,
  FleetForwarder,
  type FleetHubApi,
  FleetKv,
  FleetMetrics,
  FleetView,
  HubConsumer,
  KillFollower,
  KvLease,
  Membership,
  fleetRoutes,
} from './fleet';
import { PolicyService, policyApplyAction, policyRoutes } from './policy';
import { AlertmanagerService, alertmanagerRoutes } from './alertmanager';
import { BacktestService, backtestRoutes } from './backtest';

export interface StartOptions {
  logger?: Logger;
  /** A bus supplied by the caller (the demo shares one in-process bus with the example workload). */
  bus?: Bus;
  /** Random numbers in [0, 1) for the task retry jitter (tests pass a fixed sequence); Math.random by default. */
  random?: () => number;
  /**
   * The clock telemetry receipt runs on (freshness, TTL, age); tests that drive the guardian on a fast
   * clock pass the same one. Default `Date.now`.
   */
  now?: () => number;
}

export interface ControlPlane {
  actions: ActionService;
  killSwitch: KillSwitch;
  incidents: IncidentService;
  guardian: Guardian;
  scheduler: Scheduler;
  audit: AuditLog;
  policy: PolicyService;
  backtests: BacktestService;
}

export interface Sidecar {
  ctx: SidecarContext;
  /** http://host:port of the HTTP server. */
  url: string;
  port: number;
  /** Where the generated admin token was written, when one was. */
  adminTokenFile: string | null;
  http: HttpServer;
  /** Agent registry and task queue; also the heartbeat-staleness provider the guardian reads. */
  agents: AgentService & AgentStalenessProvider;
  /** The control plane: actions, kill switch, incidents, guardian, scheduler, audit log. */
  control: ControlPlane;
  /** Fleet mode's parts (null outside a fleet; `hub` null on a member that is not the hub). */
  fleet: { follower: KillFollower | null; lease: KvLease | null; hub: FleetHubApi | null };
  stop(): Promise<void>;
}

/** Opens the store and builds what every part uses. No I/O beyond the data folder. */
export function buildContext(config: Config, opts: StartOptions = {}): SidecarContext {
  const log = opts.logger ?? createLogger(config.log_level);
  fs.mkdirSync(config.data_dir, { recursive: true });
  const dbFile = path.join(config.data_dir, 'lookout.sqlite');
  const db = openDatabase(dbFile, { synchronous: config.store.synchronous });
  checkIntegrity(db);
  const metrics = new MetricsRegistry(config.node);
  const storeHealth = new StoreHealth({ db, dataDir: config.data_dir, config: config.store, metrics, log });
  const lineage = new LineageRepository(db);
  const core = createCoreMetrics(metrics, VERSION, {
    storeSizeBytes: () => databaseSizeBytes(dbFile),
    storeEvents: () => events.repo.approximateCount(),
    lineage: () => {
      const view = lineage.current();
      return { model: view.model, active: view.active, canary: view.canary, byStatus: lineage.countByStatus() };
    },
  });
  const events = new EventLog(db, config.node, core, log, storeHealth);
  storeHealth.setRecorder((e) => events.append({ source: 'heartbeat', subject: config.node, ...e }));
  const telemetryRepo = new TelemetryRepository(db);
  telemetryRepo.setHistoryLimits({ maxSeries: config.telemetry.history_max_series });
  const ctx: SidecarContext = {
    config,
    version: VERSION,
    startedAt: new Date(),
    log,
    db,
    dbFile,
    storeHealth,
    events,
    kv: new KvRepository(db),
    lineage,
    artifacts: new ArtifactsRepository(db),
    telemetryRepo,
    telemetry: new TelemetryService(telemetryRepo, metrics, events, {
      node: config.node,
      maxSeries: config.telemetry.max_series,
      ttlMs: config.telemetry.ttl_ms,
      log: log.child({ part: 'telemetry' }),
      ...(opts.now ? { now: opts.now } : {}),
    }),
    metrics,
    core,
    // A bus passed in wins; else NATS when nats.url is set (connecting in the background), else in-process.
    bus:
      opts.bus ??
      (config.nats.url
        ? new NatsBus(config.nats, log.child({ part: 'nats' }), `lookout-${config.node}`)
        : new InProcessBus()),
    status: new StatusRegistry(),
  };
  ctx.status.section('workload_telemetry', () => ctx.telemetry.health());
  ctx.status.readiness('store', () => {
    db.prepare('SELECT 1').get();
    return storeHealth.readiness();
  });
  ctx.status.section('store', () => storeHealth.status());
  return ctx;
}

/**
 * `buildContext`, waiting while the data folder cannot be written (full, read-only, failing): the
 * store cannot even be opened then, and exiting would only make a supervisor restart the sidecar in a
 * loop. It says so once, probes every `store.check_interval_ms` and starts as soon as it can; until
 * then nothing listens (Prometheus sees the sidecar down). Other start-up errors still throw.
 */
async function buildContextWhenWritable(config: Config, opts: StartOptions): Promise<SidecarContext> {
  let logged = false;
  for (;;) {
    try {
      return buildContext(config, opts);
    } catch (err) {
      if (!classifyWriteError(err)) throw err;
      if (!logged) {
        (opts.logger ?? createLogger(config.log_level)).error(
          { err, data_dir: config.data_dir },
          'cannot open the store: the data folder is full, read-only or failing; waiting for it before starting'
        );
        logged = true;
      }
      await new Promise((r) => setTimeout(r, config.store.check_interval_ms));
    }
  }
}

/**
 * The composition root: the only place that wires parts together. Parts start in order and
 * stop in reverse (HTTP → watchers → bus drain → database close).
 */
export async function startSidecar(config: Config, opts: StartOptions = {}): Promise<Sidecar> {
  const ctx = await buildContextWhenWritable(config, opts);
  const { log } = ctx;
  const tokens = ensureTokens(config, log);
  const diagnostics = new DiagnosticsPart(ctx);
  const bus = new BusPart(ctx);
  const agents = new AgentsPart(ctx, new AgentService(ctx, { random: opts.random }), bus.rejections);
  // Control plane: kill switch, incidents, actions, scheduler, guardian (its playbook drives the other three).
  const killSwitch = new KillSwitch(ctx);
  const incidents = new IncidentService(ctx);
  const guardrails = new GuardrailsRepository(ctx.db);
  const audit = new AuditLog(ctx.db, log);
  let scheduler: Scheduler | null = null;
  let follower: KillFollower | null = null;
  const actions = new ActionService(ctx, {
    killSwitch,
    incidents,
    guardrails,
    schedulerPaused: () => scheduler?.isPaused() ?? false,
    fleetKillEngaged: () => follower?.known().engagedForMe ?? false,
  });
  // Fleet mode: membership, the fleet kill switch and the scheduler lease in JetStream KV; the hub on top.
  const fleetMetrics = new FleetMetrics(ctx.metrics);
  const fleetParts: Part[] = [];
  let lease: KvLease | undefined;
  let hub: FleetHubApi | null = null;
  let membership: Membership | null = null;
  if (config.fleet.enabled) {
    if (!(ctx.bus instanceof NatsBus)) {
      throw new ConfigError([
        'fleet.enabled: fleet mode needs the NATS bus (nats.url), not a bus supplied by the caller',
      ]);
    }
    const f = config.fleet;
    const kvError = (op: string): void => fleetMetrics.kvErrors.inc({ op });
    const fleetKv = new FleetKv(ctx.bus, f, config.nats.publish_timeout_ms);
    const schedulerLease = new KvLease(fleetKv, {
      node: config.node,
      group: f.group,
      name: 'scheduler',
      ttlMs: f.lease_ttl_ms,
      log: log.child({ part: 'lease' }),
      hooks: {
        changed: (c) => {
          fleetMetrics.leaseChanges.inc({ lease: c.lease, change: c.leader ? 'acquired' : 'lost' });
          membership?.touch();
        },
        error: kvError,
      },
    });
    lease = schedulerLease;
    const fleetFollower = new KillFollower(ctx, {
      kv: fleetKv,
      actions,
      killSwitch,
      audit,
      changed: () => membership?.touch(),
      hooks: { followed: (status) => fleetMetrics.followed(status), error: kvError },
    });
    follower = fleetFollower;
    const leases = (): { key: string; leader: boolean; holder: string | null }[] => [
      { key: schedulerLease.key, leader: schedulerLease.isLeader(), holder: schedulerLease.holder() },
    ];
    const member = new Membership(
      ctx,
      fleetKv,
      {
        killSwitch,
        // The advertised URL, else the one the HTTP server listens on (right for one host and for tests).
        url: () => f.url ?? (http.url || null),
        outbox: () => (bus.outbox ? { pending: bus.outbox.pending(), cursor_seq: bus.outbox.cursorSeq() } : null),
        follow: () => fleetFollower.status(),
        known: () => fleetFollower.known(),
        leases,
      },
      { written: () => undefined, error: kvError }
    );
    membership = member;
    fleetParts.push(fleetFollower, member);
    let view: FleetView | null = null;
    let consumer: HubConsumer | null = null;
    if (f.hub) {
      const events = new FleetEventsRepository(ctx.db);
      view = new FleetView(ctx, { kv: fleetKv, events, hooks: { error: kvError } });
      consumer = new HubConsumer(ctx, {
        bus: ctx.bus,
        store: events,
        hooks: {
          stored: (stored, at) => {
            fleetMetrics.hubEvents.inc(stored.length);
            for (const e of stored) fleetMetrics.hubLag.observe(Math.max(0, (at - Date.parse(e.ts)) / 1000));
          },
          duplicate: (n) => fleetMetrics.hubDuplicates.inc(n),
          rejected: (reason) => fleetMetrics.hubRejected.inc({ reason }),
          error: kvError,
        },
      });
      const stream = new StreamHub(ctx, events);
      hub = {
        node: config.node,
        view,
        actions: new FleetActions(ctx, { kv: fleetKv, view }),
        events,
        stream,
        forwarder: new FleetForwarder(f, config.node, view),
        consumer,
      };
      fleetParts.push(view, consumer, { name: 'fleet-stream', start: () => stream.start(), stop: () => stream.stop() });
    }
    const hubView = view;
    const hubConsumer = consumer;
    fleetMetrics.attach({
      group: f.group,
      readable: () => fleetFollower.isReadable(),
      engagedForMe: () => fleetFollower.known().engagedForMe,
      memberFresh: () => member.fresh(),
      leases,
      ...(hubView && hubConsumer ? { nodes: () => hubView.counts(), hubPending: () => hubConsumer.pending } : {}),
    });
  } else {
    ctx.status.section('fleet', () => ({ enabled: false }));
  }
  scheduler = new Scheduler(ctx, { actions, killSwitch, incidents, lease });
  const sched = scheduler;
  for (const a of [...schedulerActions(sched), ...agentsActions(agents.service)]) actions.registerLocal(a);
  const guardianCaller = { actor: 'guardian', token: 'guardian', role: 'admin' as const };
  const guardian = new Guardian(ctx, {
    killSwitch,
    incidents,
    guardrails,
    staleness: agents.service,
    playbook: {
      engageKillSwitch: (reason, incidentId) => {
        if (killSwitch.isEngaged()) return;
        try {
          actions.run('kill', guardianCaller, { reason, trigger: 'guardian', params: { incident_id: incidentId } });
        } catch (err) {
          // A refused kill action (cooldown, ...) must not leave the switch open: engage it here, then report.
          killSwitch.engage('guardian', reason, { incident_id: incidentId, kill_action_error: (err as Error).message });
          throw err;
        }
      },
      pauseScheduler: (reason, incidentId) => void sched.pause('guardian', reason, { incident_id: incidentId }),
      runAction: (name, params, reason) =>
        void actions.run(name, guardianCaller, { params, reason, trigger: 'guardian' }),
    },
  });
  const policy = new PolicyService(ctx, {
    guardian,
    scheduler: sched,
    audit,
    // A playbook or policy may not name policy_apply: it is planned with evidence, never run in one step.
    actions: () => actions.definitions().flatMap((d) => (d.local?.evidence ? [] : [d.name])),
  });
  const backtests = new BacktestService(ctx, { policy, guardian });
  actions.registerLocal(policyApplyAction({ policy, backtests, planWindowMs: config.backtest.plan_window }));
  const http = new HttpServer(ctx, tokens.tokens, [
    diagnosticsRoutes(diagnostics.service),
    agentsRoutes(agents.service),
    actionsRoutes(actions),
    incidentsRoutes(incidents, (id) => diagnostics.service.forIncident(id)),
    schedulerRoutes(sched, actions),
    auditRoutes(audit),
    fleetRoutes(config.fleet, hub),
    policyRoutes(policy),
    backtestRoutes(backtests),
    alertmanagerRoutes(new AlertmanagerService(ctx, incidents)),
  ]);
  http.setControlHook(audit.hook());
  const outbox = bus.outbox;
  const parts: Part[] = [
    bus,
    new RetentionPart(ctx, { publishedUpTo: outbox ? () => outbox.cursorSeq() : undefined }),
    ctx.storeHealth,
    new WorkspaceWatcher(ctx),
    new HeartbeatPart(ctx),
    diagnostics,
    agents,
    actions,
    // Before the scheduler and the guardian: their first tick runs the policy file, never the defaults.
    policy,
    // The fleet follower runs before the scheduler: a fail-safe node is engaged before anything decides.
    ...fleetParts,
    sched,
    guardian,
    backtests,
    http,
  ];
  const started: Part[] = [];
  const stopAll = async (): Promise<void> => {
    for (const p of [...started].reverse()) {
      try {
        await p.stop();
        log.debug({ part: p.name }, 'stopped');
      } catch (err) {
        log.error({ err, part: p.name }, 'part failed to stop');
      }
    }
    started.length = 0;
    ctx.db.close();
  };
  try {
    for (const p of parts) {
      await p.start();
      started.push(p);
      log.debug({ part: p.name }, 'started');
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  log.info({ url: http.url, node: config.node, version: VERSION, data_dir: config.data_dir }, 'sidecar listening');
  if (tokens.generatedFile) {
    log.info(
      { token_file: tokens.generatedFile },
      'no tokens configured: an admin token was written to this file (mode 0600)'
    );
  }
  let stopping: Promise<void> | null = null;
  return {
    ctx,
    url: http.url,
    port: http.port,
    adminTokenFile: tokens.generatedFile,
    http,
    agents: agents.service,
    control: { actions, killSwitch, incidents, guardian, scheduler: sched, audit, policy, backtests },
    fleet: { follower, lease: lease ?? null, hub },
    stop: () => (stopping ??= stopAll()),
  };
}
