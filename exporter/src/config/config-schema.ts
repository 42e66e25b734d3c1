import os from 'node:os';
import { z } from 'zod';
import { actionsConfigSchema } from '../actions/actions-config';
import { backtestConfigSchema } from '../backtest/backtest-config';
import { guardianConfigSchema } from '../guardian/guardian-config';
import { schedulerConfigSchema } from '../scheduler/scheduler-config';
import { fleetConfigSchema } from '../fleet/fleet-config';

/**
 * The sidecar's one configuration schema. Every key carries its doc (`describe`) and default;
 * its environment override is derived from its path: `watch.root` → `LOOKOUT_WATCH_ROOT`.
 * docs/configuration.md is generated from this file (`UPDATE_DOCS=1 npx jest -c exporter/jest.config.js exporter/test/stack/config-doc`) and a test
 * fails when the two drift.
 */

/**
 * The roles a request acts with: what every route's access is checked against. `alertmanager` is
 * Alertmanager's webhook credential and may call that one route only.
 */
export const ROLES = ['viewer', 'operator', 'admin', 'agent', 'alertmanager'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/**
 * What a configured token may be: a role, or `grafana` — a delegation held by Grafana, whose requests
 * act with the role of the Grafana user named in `X-Grafana-Context` (see docs/security.md).
 */
export const TOKEN_ROLES = [...ROLES, 'grafana'] as const;
export const tokenRoleSchema = z.enum(TOKEN_ROLES);
export type TokenRole = z.infer<typeof tokenRoleSchema>;

/** The roles a Grafana user can be given, lowest first. */
export const GRAFANA_ROLES = ['viewer', 'operator', 'admin'] as const;
export const grafanaRoleSchema = z.enum(GRAFANA_ROLES);
export type GrafanaMappedRole = z.infer<typeof grafanaRoleSchema>;

export const tokenSchema = z.object({
  name: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
  role: tokenRoleSchema,
  secret: z.string().min(16, 'a token secret needs at least 16 characters'),
});
export type TokenConfig = z.infer<typeof tokenSchema>;

const watchSchema = z
  .object({
    root: z
      .string()
      .default('./workspace')
      .describe('Workspace folder with the sub-folders lineage/, calibration/, telemetry/, activity/'),
    max_file_bytes: z
      .number()
      .int()
      .positive()
      .default(8 * 1024 * 1024)
      .describe('Files larger than this are recorded as skipped, never read'),
    debounce_ms: z.number().int().min(0).default(25).describe('Quiet time after the last change before a file is read'),
    reconcile_interval_ms: z
      .number()
      .int()
      .min(1000)
      .default(30_000)
      .describe('How often the tree is compared with the store to recover changes the kernel dropped'),
    ignore: z
      .array(z.string())
      .default(['**/.*', '**/*.tmp', '**/*.swp', '**/*~'])
      .describe('Glob patterns (relative to the root) never ingested'),
    activity_rules: z
      .array(
        z.object({
          glob: z.string(),
          class: z.string().regex(/^[a-z][a-z0-9_]*$/),
          subject: z.string().optional(),
        })
      )
      .default([
        { glob: 'activity/tasks/**', class: 'tasks' },
        { glob: 'activity/llm/**', class: 'llm' },
        { glob: 'activity/propagation/**', class: 'propagation' },
      ])
      .describe('Activity classification: first matching glob gives the class (and an optional extra NATS subject)'),
  })
  .prefault({});

const storeSchema = z
  .object({
    synchronous: z
      .enum(['NORMAL', 'FULL'])
      .default('NORMAL')
      .describe(
        'SQLite synchronous mode under WAL. NORMAL: a committed write survives a process crash (kill -9); ' +
          'FULL: also survives power loss, at a write-latency cost'
      ),
    retention_max_age_days: z.number().positive().default(30).describe('Events older than this are deleted'),
    retention_max_events: z.number().int().positive().default(2_000_000).describe('Keep at most this many events'),
    retention_interval_ms: z.number().int().min(1000).default(600_000).describe('How often retention runs'),
    max_size_bytes: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        'Hard limit on the bytes the database uses (0 = none). Over it the oldest events already published ' +
          '(all, without NATS) are deleted; if that is not enough, ingestion pauses until the store is under ' +
          '90 % of the limit (readiness false, event store.limit_reached); unpublished events are never deleted'
      ),
    resume_free_bytes: z
      .number()
      .int()
      .min(0)
      .default(64 * 1024 * 1024)
      .describe('After writes failed for lack of space, they resume once the data folder has this many bytes free'),
    check_interval_ms: z
      .number()
      .int()
      .min(50)
      .default(1000)
      .describe('How often the size limit is checked and, while writes fail, the store is probed for recovery'),
  })
  .prefault({});

const grafanaSchema = z
  .object({
    role_ceiling: grafanaRoleSchema
      .default('admin')
      .describe('The highest role a request with a grafana token may act with, whatever the Grafana role'),
    server_admin_role: grafanaRoleSchema
      .optional()
      .describe('Role a Grafana server admin gets at least (unset: being a server admin gives nothing extra)'),
    url: z
      .string()
      .regex(/^https?:\/\/[^\s/]+/, 'an http:// or https:// URL')
      .optional()
      .describe("Grafana's URL as the sidecar reaches it; ID tokens are verified against <url>/api/signing-keys/keys"),
    jwks_url: z
      .string()
      .regex(/^https?:\/\/[^\s/]+/, 'an http:// or https:// URL')
      .optional()
      .describe("URL of Grafana's ID-token signing keys (JWKS); overrides the one derived from http.grafana.url"),
    require_id_token: z
      .boolean()
      .default(false)
      .describe('Refuse grafana-token requests without a verified X-Grafana-Id (needs url or jwks_url)'),
    jwks_cooldown_ms: z
      .number()
      .int()
      .min(0)
      .default(30_000)
      .describe('Least time between two key fetches caused by an unknown key id (key rotation)'),
    jwks_cache_max_age_ms: z
      .number()
      .int()
      .min(1000)
      .default(600_000)
      .describe('How long fetched signing keys are used before they are fetched again'),
    jwks_timeout_ms: z.number().int().min(100).default(5000).describe('Timeout of one signing-key fetch'),
  })
  .superRefine((g, ctx) => {
    if (g.require_id_token && !g.url && !g.jwks_url) {
      ctx.addIssue({
        code: 'custom',
        path: ['require_id_token'],
        message: 'needs http.grafana.url or http.grafana.jwks_url to verify the ID tokens against',
      });
    }
  })
  .prefault({});

const httpSchema = z
  .object({
    metrics_public: z
      .boolean()
      .default(false)
      .describe('Serve /metrics without a token (for a Prometheus that cannot send one)'),
    grafana: grafanaSchema.describe('The grafana delegation token: how Grafana users are mapped and checked'),
    sse_heartbeat_ms: z.number().int().min(100).default(15_000).describe('SSE keep-alive comment interval'),
    sse_max_buffered_bytes: z
      .number()
      .int()
      .min(64 * 1024)
      .default(1024 * 1024)
      .describe(
        'A stream client whose unsent data passes this is disconnected (it resumes from the store with Last-Event-ID): bounds memory per client'
      ),
    control_rate_limit_per_minute: z
      .number()
      .int()
      .positive()
      .default(120)
      .describe('Control (write) requests per person per minute before 429 (a token, or a Grafana user)'),
  })
  .prefault({});

const natsSchema = z
  .object({
    url: z.string().optional().describe('NATS server URL(s), comma separated; unset = in-process bus'),
    token: z.string().optional().describe('NATS auth token'),
    user: z.string().optional().describe('NATS user'),
    pass: z.string().optional().describe('NATS password'),
    creds_file: z.string().optional().describe('NATS credentials (.creds) file'),
    tls_ca_file: z.string().optional().describe('CA bundle for the NATS server certificate'),
    tls_cert_file: z.string().optional().describe('Client certificate for NATS mutual TLS'),
    tls_key_file: z.string().optional().describe('Client key for NATS mutual TLS'),
    stream: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default('LOOKOUT_EVENTS')
      .describe(
        'JetStream stream the outbox publishes events to (created or updated at start; subjects lookout.evt.>)'
      ),
    stream_max_age_days: z.number().positive().default(7).describe('How long the stream keeps events'),
    stream_replicas: z.number().int().min(1).max(5).default(1).describe('Stream replicas (a JetStream cluster)'),
    duplicate_window_s: z
      .number()
      .int()
      .min(1)
      .default(120)
      .describe('Stream dedup window: a retried publish with the same Nats-Msg-Id inside it is stored once'),
    publish_timeout_ms: z
      .number()
      .int()
      .min(100)
      .default(5000)
      .describe('How long the outbox waits for a JetStream ack before it retries with the same msg id'),
    outbox_batch: z.number().int().min(1).max(10_000).default(500).describe('Events the outbox reads per batch'),
    outbox_max_in_flight: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(256)
      .describe('Unacknowledged JetStream publishes the outbox allows at once'),
    reconnect_wait_ms: z.number().int().min(10).default(250).describe('First reconnect delay; doubles per attempt'),
    reconnect_max_wait_ms: z.number().int().min(10).default(5000).describe('Upper bound of the reconnect delay'),
    reconnect_jitter_ms: z.number().int().min(0).default(250).describe('Random delay added to each reconnect attempt'),
    subject_map: z
      .array(
        z.object({
          kind: z
            .string()
            .regex(/^[A-Za-z0-9_.*-]+$/)
            .describe('Event kind to match; a trailing .* matches a prefix (activity.*)'),
          source: z.string().optional().describe('Only events from this source'),
          subject: z
            .string()
            .regex(/^[A-Za-z0-9_{}.-]+$/)
            .describe('Extra subject; {node} is replaced by the node name'),
          payload: z
            .enum(['data', 'envelope'])
            .default('data')
            .describe('data: the classic payload (event data + timestamp, trace_id); envelope: the whole event'),
        })
      )
      .default([])
      .describe(
        'Extra core-NATS subjects for events, for consumers of the classic topics ' +
          '(e.g. [{"kind":"activity.tasks","subject":"sparc.tasks"}]); activity rules with a subject are added automatically'
      ),
  })
  .prefault({});

const agentsSchema = z
  .object({
    heartbeat_window_s: z
      .number()
      .positive()
      .default(30)
      .describe(
        'An agent with no heartbeat for this long is marked down and its tasks are requeued (per-agent override at registration)'
      ),
    stale_check_interval_ms: z
      .number()
      .int()
      .min(50)
      .default(5000)
      .describe('How often agents are checked for staleness'),
    auto_assign: z.boolean().default(true).describe('Assign queued tasks to agents automatically'),
    assign_interval_ms: z
      .number()
      .int()
      .min(50)
      .default(2000)
      .describe('Periodic assignment round (rounds also run right after tasks, agents or completions change)'),
    max_tasks_per_agent: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe('Default concurrent tasks per agent (per-agent override at registration)'),
    round_size: z.number().int().min(1).default(5000).describe('Queued tasks considered per assignment round'),
    task_max_attempts: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(3)
      .describe('Failed attempts after which a task is dead-lettered (per-task override `max_attempts` at creation)'),
    retry_backoff_ms: z
      .number()
      .int()
      .min(0)
      .default(1000)
      .describe('Delay before the retry after a first failure; doubles with each further failure'),
    retry_backoff_max_ms: z.number().int().min(0).default(300_000).describe('Longest delay before a retry'),
    retry_jitter: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('Share of a retry delay that is random: the delay is scaled by a factor in [1 - jitter, 1)'),
    task_lease_s: z
      .number()
      .positive()
      .max(86_400)
      .default(60)
      .describe(
        "Lease on a task an agent holds, renewed by the agent's heartbeats and task updates; when it lapses the attempt fails and the task is requeued"
      ),
    success_ratio_window_s: z
      .number()
      .positive()
      .default(3600)
      .describe('Window of lookout_agent_task_success_ratio: attempts that ended within it'),
  })
  .refine((a) => a.retry_backoff_max_ms >= a.retry_backoff_ms, {
    message: 'retry_backoff_max_ms must be at least retry_backoff_ms',
    path: ['retry_backoff_max_ms'],
  })
  .prefault({});

const diagnosticsSchema = z
  .object({
    due_soon_window_ms: z
      .number()
      .int()
      .positive()
      .default(24 * 3600 * 1000)
      .describe('A diagnostic whose due date is this close (and not yet past) is notified once as due soon'),
    check_interval_ms: z
      .number()
      .int()
      .min(100)
      .default(60_000)
      .describe('How often open diagnostics are checked for due-soon and overdue notifications'),
    webhook_url: z
      // A plain string schema (not z.url) so the env override stays a string; checked as an http(s) URL here.
      .string()
      .regex(/^https?:\/\/[^\s/]+/, 'an http:// or https:// URL')
      .optional()
      .describe('Optional http(s) URL that receives every diagnostics notification as a JSON POST'),
    webhook_timeout_ms: z.number().int().min(100).default(5000).describe('Timeout of one webhook POST'),
    webhook_retries: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(2)
      .describe(
        'Retries after a failed webhook POST (5xx, 408, 429, timeout, network); other 4xx answers are not retried'
      ),
    webhook_retry_backoff_ms: z
      .number()
      .int()
      .min(0)
      .default(1000)
      .describe('Wait before the first webhook retry; doubles on each further retry'),
    estimate_min_sample: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe('Resolved diagnostics needed in a group before the time-to-resolve estimate uses it'),
  })
  .prefault({});

const telemetrySchema = z
  .object({
    ttl_ms: z
      .number()
      .int()
      .min(1000)
      .default(300_000)
      .describe(
        'A workload series whose latest value is older than this stops being exported (Prometheus marks it stale)'
      ),
    max_series: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(10_000)
      .describe('Workload series held at most; a new series beyond it is refused and counted (series_limit)'),
    history_max_series: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(1000)
      .describe(
        'Series whose every value is kept with its receipt time for backtests (labeled ones included); samples ' +
          'of further series are counted, not kept (0: no history)'
      ),
    history_max_age_days: z
      .number()
      .positive()
      .default(8)
      .describe('Telemetry history older than this is deleted (the longest range a store backtest can replay)'),
    history_max_rows: z
      .number()
      .int()
      .min(1000)
      .default(50_000_000)
      .describe('Telemetry history rows kept at most; the oldest go first (about 20 bytes a row)'),
  })
  .prefault({});

const policySchema = z
  .object({
    file: z
      .string()
      .optional()
      .describe(
        'Policy file (YAML or JSON: guardian rules and playbooks, scheduler policies, signals; docs/policy.md). ' +
          'Unset: the inline guardian.rules and scheduler.policies'
      ),
    watch: z.boolean().default(true).describe('Reload the policy file when it changes (hot reload)'),
    max_bytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024)
      .describe('A policy file larger than this is refused unread'),
    debounce_ms: z
      .number()
      .int()
      .min(0)
      .default(200)
      .describe('Quiet time after the last change of the policy file before it is read'),
  })
  .prefault({});

const alertmanagerSchema = z
  .object({
    open_diagnostic: z
      .enum(['never', 'critical', 'always'])
      .default('never')
      .describe('Which firing Alertmanager alerts also open a diagnostic: never, critical ones, or always'),
    ignore_alertnames: z
      .array(z.string().max(200))
      .default(['LookoutCriticalIncidentOpen', 'LookoutIncidentOpen', 'LookoutKillSwitchEngaged'])
      .describe(
        'Alerts acknowledged but never turned into incidents: those that report the sidecar’s own incidents ' +
          'and kill switch (an incident about an incident would keep itself open)'
      ),
  })
  .prefault({});

export const configSchema = z
  .object({
    port: z.number().int().min(0).max(65535).default(9469).describe('HTTP port (0 = pick a free one)'),
    host: z.string().default('0.0.0.0').describe('HTTP listen address'),
    node: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only (it is a NATS subject token)')
      .default(os.hostname().replace(/[^A-Za-z0-9_-]/g, '-'))
      .describe('Node name: labels every metric and event, a token in NATS subjects'),
    data_dir: z.string().default('./data').describe('Folder for the SQLite file and the generated admin token'),
    log_level: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('Log level (JSON logs on stdout)'),
    heartbeat_interval_ms: z.number().int().min(100).default(10_000).describe('Heartbeat event interval'),
    tokens: z
      .array(tokenSchema)
      .default([])
      .describe('Bearer tokens; env form `name:role:secret,…`. None: an admin token is generated in data_dir'),
    watch: watchSchema.describe('Workspace watcher'),
    store: storeSchema.describe('SQLite store'),
    http: httpSchema.describe('HTTP API'),
    nats: natsSchema.describe('NATS connection'),
    actions: actionsConfigSchema.describe(
      'Control-plane actions: plans, verification, cooldowns, executors, custom actions'
    ),
    guardian: guardianConfigSchema.describe('Guardian: safety rules, incidents and playbooks'),
    scheduler: schedulerConfigSchema.describe('Scheduler: interval, cron and condition policies'),
    agents: agentsSchema.describe('Agent registry, heartbeats and task assignment'),
    diagnostics: diagnosticsSchema.describe('Diagnostics tracker: notifications, webhook, estimates'),
    telemetry: telemetrySchema.describe('Workload telemetry: staleness TTL and series limit'),
    policy: policySchema.describe('Policy file: the guardian rules and scheduler policies, hot reloaded'),
    alertmanager: alertmanagerSchema.describe('Alertmanager webhook: how firing alerts become incidents'),
    fleet: fleetConfigSchema.describe('Fleet mode on a NATS JetStream cluster: membership, fleet kill, leases, hub'),
    backtest: backtestConfigSchema.describe('Guardian backtests: range limits, the Prometheus source, results kept'),
  })
  .superRefine((c, ctx) => {
    // One source of rules: a policy file replaces the inline ones wholesale, so both at once is a mistake.
    if (
      c.policy.file &&
      (c.guardian.rules.length || Object.keys(c.guardian.playbooks).length || c.scheduler.policies.length)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['policy', 'file'],
        message: 'set either policy.file or inline guardian.rules, guardian.playbooks and scheduler.policies, not both',
      });
    }
    if (c.fleet.enabled && !c.nats.url) {
      ctx.addIssue({
        code: 'custom',
        path: ['fleet', 'enabled'],
        message: 'fleet mode runs on a NATS JetStream cluster: set nats.url (LOOKOUT_NATS_URL) too',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;
/** What a config file or a test may give: every key optional. */
export type ConfigInput = z.input<typeof configSchema>;
