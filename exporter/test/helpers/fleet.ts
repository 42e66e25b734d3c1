import type { ConfigInput } from '../../src/config/config-schema';
import { createSimulator, type Simulator } from '../../../examples/src';
import { NatsCommandBus } from '../../../examples/src/nats-command-bus';
import { TOKENS, type TestSidecar, type TokenRole, makeWorkspace, startTestSidecar, tempDir } from './sidecar';
import { waitFor } from './wait';

/** Fleet timings short enough for tests, long enough for two shared cores. */
export const TEST_FLEET = {
  replicas: 3,
  heartbeat_interval_ms: 250,
  stale_after_ms: 1500,
  gone_after_ms: 60_000,
  lease_ttl_ms: 3000,
} as const;

export interface FleetNode {
  name: string;
  t: TestSidecar;
  /** The node's workload: the example simulator answering its commands over NATS. */
  sim: Simulator | null;
  stop(): Promise<void>;
}

/**
 * One fleet member in this process: the real sidecar (fleet mode, on the cluster at `natsUrl`) and,
 * unless `workload: false`, the example workload answering its `lookout.cmd.<node>.*` commands over
 * NATS and writing its telemetry into the sidecar's workspace — so a kill is verified for real.
 */
export async function startFleetNode(opts: {
  name: string;
  natsUrl: string;
  /** Where the workload connects (default natsUrl): the cluster, when the sidecar's own link is cut. */
  workloadNatsUrl?: string;
  workload?: boolean;
  fleet?: NonNullable<ConfigInput['fleet']>;
  overrides?: ConfigInput;
  dataDir?: string;
}): Promise<FleetNode> {
  const workspace = makeWorkspace();
  let sim: Simulator | null = null;
  let simBus: NatsCommandBus | null = null;
  if (opts.workload !== false) {
    sim = createSimulator({ workspace, seed: 11, tickMs: 60_000, autopilot: false });
    sim.getState(); // lineage and telemetry (state_active 1) are on disk before the watcher starts
    simBus = await NatsCommandBus.connect({ url: opts.workloadNatsUrl ?? opts.natsUrl, name: `workload-${opts.name}` });
    sim.attachBus(simBus, opts.name);
  }
  let t: TestSidecar;
  try {
    t = await startTestSidecar({
      workspace,
      dataDir: opts.dataDir ?? tempDir(`fleet-${opts.name}`),
      overrides: {
        node: opts.name,
        ...opts.overrides,
        nats: { url: opts.natsUrl, stream_replicas: 3, ...opts.overrides?.nats },
        fleet: { enabled: true, ...TEST_FLEET, node_token: TOKENS.grafana, ...opts.fleet },
      },
    });
  } catch (err) {
    sim?.stop();
    await simBus?.drain();
    throw err;
  }
  if (sim) await waitFor(() => t.sidecar.ctx.telemetryRepo.latestValue('state_active'), 20_000);
  return {
    name: opts.name,
    t,
    sim,
    async stop() {
      await t.stop();
      sim?.stop();
      await simBus?.drain();
    },
  };
}

type Body = Record<string, unknown>;

/** Plans and applies a fleet action on the hub as `as`; returns the apply answer's body. */
export async function fleetAct(
  hub: TestSidecar,
  action: 'kill' | 'kill_release',
  opts: {
    selector?: Body;
    reason?: string;
    /** Who acts: a token role, or a Grafana user through the grafana token (`asGrafana(...)`). */
    caller?: { as: TokenRole; headers?: Record<string, string> };
    key?: string;
  } = {}
): Promise<{ plan: Body; applied: Body }> {
  const { as, headers } = opts.caller ?? { as: 'admin' as const };
  const plan = await hub.call('POST', `/api/v1/fleet/actions/${action}/plan`, {
    as,
    headers,
    body: opts.selector ? { selector: opts.selector } : {},
  });
  if (plan.status !== 200) throw new Error(`fleet plan ${action}: ${plan.status} ${JSON.stringify(plan.body)}`);
  const planBody = plan.body as Body;
  const r = await hub.call('POST', `/api/v1/fleet/actions/${action}/apply`, {
    as,
    body: { plan_id: planBody['plan_id'], reason: opts.reason ?? `fleet test ${action}` },
    headers: {
      ...headers,
      'idempotency-key': opts.key ?? `fleet-${action}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    },
  });
  if (r.status !== 202) throw new Error(`fleet apply ${action}: ${r.status} ${JSON.stringify(r.body)}`);
  return { plan: planBody, applied: r.body as Body };
}

export interface FleetNodeView {
  node: string;
  state: string;
  selected: boolean;
  converged: boolean;
  kill: { engaged: boolean; actor: string | null };
  fleet_kill: { revision: number; status: string; action_id: string | null; engaged: boolean } | null;
  last_event: { id: string } | null;
  hub_behind: boolean;
}

/** GET /api/v1/fleet on the hub. */
export async function fleetView(hub: TestSidecar): Promise<{ kill: Body; nodes: FleetNodeView[] }> {
  const r = await hub.call('GET', '/api/v1/fleet', { as: 'viewer' });
  if (r.status !== 200) throw new Error(`GET /api/v1/fleet: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { kill: Body; nodes: FleetNodeView[] };
}
