import path from 'node:path';
import { InProcessBus } from '../../src/bus/inprocess-bus';
import { createSimulator, type Simulator } from '../../../examples/src';
import { type TestSidecar, makeWorkspace, startTestSidecar } from '../helpers/sidecar';
import { REPO_ROOT } from '../helpers/stack-assets';
import { waitFor } from '../helpers/wait';

const STARTER = path.join(REPO_ROOT, 'policies', 'starter.yml');
/** The demo's tick: `npm start` runs the example workload every 2 s. */
const TICK_MS = 2000;

/**
 * What a new user's `npm start` shows in its first minutes, on a fast clock: the real sidecar with the
 * starter policy and the real example workload (as the demo runs it: the sidecar decides retrains and
 * promotions), sharing one clock that the test advances 2 s per workload tick. Telemetry goes through
 * the real telemetry file and watcher; the guardian and the scheduler tick on the same clock.
 */
describe('the starter policy on the example workload (fast clock)', () => {
  let now = Date.now();
  let t: TestSidecar;
  let sim: Simulator;

  beforeAll(async () => {
    const clock = (): number => now;
    const workspace = makeWorkspace();
    sim = createSimulator({ workspace, seed: 1, tickMs: 60_000, now: clock, autopilot: false });
    sim.getState();
    const bus = new InProcessBus();
    sim.attachBus(bus, 'test-node');
    t = await startTestSidecar({
      bus,
      workspace,
      now: clock,
      // The test drives both ticks on its clock; the timers stay off.
      overrides: { policy: { file: STARTER }, guardian: { enabled: false }, scheduler: { enabled: false } },
    });
  });
  afterAll(async () => {
    sim.stop();
    await t.stop();
  });

  /** One workload tick: the snapshot written, received through the watcher, then both engines judged. */
  async function step(): Promise<void> {
    now += TICK_MS;
    sim.tick();
    await waitFor(() => t.sidecar.ctx.telemetry.newestSnapshotMs() === now, 10_000, 5);
    t.sidecar.control.guardian.tick(now);
    t.sidecar.control.scheduler.tick(now);
  }

  const incidents = (): { rule: string; severity: string; status: string }[] =>
    t.sidecar.control.incidents.repo.query({ limit: 100 });

  it('within five minutes: guardrail triggers, an incident, and scheduler decisions that act', async () => {
    for (let i = 0; i < 150; i++) await step();
    // A venue latency spike above 150 ms: a guardrail trigger and an incident with its playbook (notify).
    expect(incidents()).toEqual(
      expect.arrayContaining([expect.objectContaining({ rule: 'venue_latency_high', severity: 'warning' })])
    );
    const metrics = String((await t.call('GET', '/metrics', { as: 'viewer' })).body);
    expect(metrics).toMatch(
      /^lookout_guardrail_triggers_total\{rule="venue_latency_high",shadow="false",node="test-node"\} 1$/m
    );
    const notify = t.sidecar.ctx.events.query({ kinds: ['notify'], limit: 10 });
    expect(notify.map((e) => e.subject)).toContain('venue_latency_high');
    // The scheduler retrained on drift (drift above 0.5 for a minute) and the workload obeyed.
    const decisions = t.sidecar.control.scheduler.decisions.list({ limit: 200 });
    const retrain = decisions.find((d) => d.policy === 'retrain_on_drift' && d.verdict === 'act');
    expect(retrain).toBeDefined();
    expect(retrain!.reason).toMatch(/^drift above 0\.5 for \d+s$/);
    await waitFor(() => sim.getState().generations.some((g) => g.notes.includes('retrain: policy retrain_on_drift')));
    // The canary policy judged the candidate the retrain produced.
    expect(decisions.some((d) => d.policy === 'promote_canary')).toBe(true);
  }, 120_000);

  it('within eight minutes: drift that retraining does not hold opens an incident and pauses the scheduler', async () => {
    for (let i = 0; i < 90 && !incidents().some((x) => x.rule === 'drift_high'); i++) await step();
    expect(incidents()).toEqual(
      expect.arrayContaining([expect.objectContaining({ rule: 'drift_high', severity: 'warning', status: 'open' })])
    );
    expect(t.sidecar.control.scheduler.isPaused()).toBe(true);
    expect(t.sidecar.control.scheduler.pauseState().actor).toBe('guardian');
  }, 120_000);

  it('a workload that stops is caught: a critical incident after a minute, its series unexported after the TTL', async () => {
    // The workload stops writing; the clock goes on.
    now += 61_000;
    t.sidecar.control.guardian.tick(now);
    const stale = incidents().find((x) => x.rule === 'telemetry_stale');
    expect(stale).toMatchObject({ severity: 'critical', status: 'open' });
    // Not configured to kill: the kill switch stays released.
    expect(t.sidecar.control.killSwitch.isEngaged()).toBe(false);
    let metrics = String((await t.call('GET', '/metrics', { as: 'viewer' })).body);
    const age = Number(/^lookout_workload_telemetry_age_seconds\{node="test-node"\} (\S+)$/m.exec(metrics)?.[1]);
    expect(age).toBeGreaterThanOrEqual(61);
    expect(metrics).toMatch(/^lookout_workload_drift_score\{node="test-node"\} /m);

    // Past the TTL (5 minutes by default) the workload's series are no longer exported.
    now += 5 * 60_000;
    metrics = String((await t.call('GET', '/metrics', { as: 'viewer' })).body);
    expect(metrics.split('\n').filter((l) => /^lookout_workload_(?!telemetry_age_seconds)/.test(l))).toEqual([]);
    expect(metrics).toMatch(/^lookout_telemetry_series\{state="fresh",node="test-node"\} 0$/m);
    const status = (await t.call('GET', '/api/v1/status', { as: 'viewer' })).body as {
      workload_telemetry: { stale: boolean; age_s: number };
    };
    expect(status.workload_telemetry).toMatchObject({ stale: true });
    expect(status.workload_telemetry.age_s).toBeGreaterThan(360);
  });
});
