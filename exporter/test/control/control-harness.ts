import { InProcessBus } from '../../src/bus/inprocess-bus';
import type { ConfigInput } from '../../src/config/config-schema';
import { createSimulator, type Simulator } from '../../../examples/src';
import { makeWorkspace, startTestSidecar, type TestSidecar, type TokenRole } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';

export interface ControlHarness {
  t: TestSidecar;
  sim: Simulator;
  bus: InProcessBus;
  /** plan + apply through the API; returns the apply answer. */
  act(
    name: string,
    opts?: { as?: TokenRole; params?: Record<string, unknown>; reason?: string; key?: string }
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Waits until the action reaches a final status and returns it. */
  settled(id: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

let keySeq = 0;

/** The real sidecar and the real example workload, sharing one in-process bus and one workspace. */
export async function startControlHarness(
  opts: { overrides?: ConfigInput; dataDir?: string; workspace?: string; seed?: number } = {}
): Promise<ControlHarness> {
  const workspace = opts.workspace ?? makeWorkspace();
  const sim = createSimulator({
    workspace,
    seed: opts.seed ?? 7,
    tickMs: 60_000,
    autopilot: false,
    evaluationTicks: 1,
    canaryTicks: 1000,
  });
  sim.getState(); // writes the lineage and telemetry files before the watcher starts
  const bus = new InProcessBus();
  sim.attachBus(bus, 'test-node');
  const t = await startTestSidecar({ bus, workspace, dataDir: opts.dataDir, overrides: opts.overrides });
  await waitFor(
    () => t.sidecar.ctx.lineage.current().active !== null && t.sidecar.ctx.telemetryRepo.latestValue('state_active'),
    10_000
  );
  const h: ControlHarness = {
    t,
    sim,
    bus,
    async act(name, o = {}) {
      const as = o.as ?? 'operator';
      const plan = await t.call('POST', `/api/v1/actions/${name}/plan`, {
        as,
        body: o.params ? { params: o.params } : {},
      });
      if (plan.status !== 200) return { status: plan.status, body: plan.body as Record<string, unknown> };
      const planId = (plan.body as { plan_id: string }).plan_id;
      const r = await t.call('POST', `/api/v1/actions/${name}/apply`, {
        as,
        body: { plan_id: planId, reason: o.reason ?? `test ${name}` },
        headers: { 'idempotency-key': o.key ?? `k-${process.pid}-${++keySeq}` },
      });
      return { status: r.status, body: r.body as Record<string, unknown> };
    },
    async settled(id, timeoutMs = 15_000) {
      return waitFor(async () => {
        const r = await t.call('GET', `/api/v1/actions/${id}`, { as: 'viewer' });
        const b = r.body as Record<string, unknown>;
        return b['finished_at'] ? b : null;
      }, timeoutMs);
    },
    async stop() {
      sim.stop();
      await t.stop();
    },
  };
  return h;
}

/** Ticks the workload until a canary exists (a candidate can fail evaluation: retrain again). */
export async function makeCanary(h: ControlHarness): Promise<string> {
  for (let i = 0; i < 20; i++) {
    if (h.sim.getState().canary) break;
    const cur = h.sim.getState();
    if (!cur.generations.some((g) => g.status === 'candidate'))
      await h.sim.handleCommand('retrain', { reason: 'test' });
    h.sim.tick();
  }
  const canary = h.sim.getState().canary;
  if (!canary) throw new Error('no canary after 20 rounds');
  await waitFor(() => h.t.sidecar.ctx.lineage.current().canary === canary, 10_000);
  return canary;
}
