import * as path from 'node:path';
import {
  InvalidNodeNameError,
  WORKSPACE_PATHS,
  commandSubject,
  type BusMessage,
  type BusSubscription,
  type CommandBus,
  type CommandReply,
  type LineageIndex,
  type Simulator,
  type TelemetrySnapshot,
} from '../src';
import { SimulatorPool, makeWorkspace, readJson, removeWorkspace } from './helpers';

type Handler = (msg: BusMessage) => void | Promise<void>;

/** A minimal bus with NATS subject matching (`*` one token, `>` the rest) and request/reply. */
class TestBus implements CommandBus {
  private readonly subs = new Set<{ pattern: string[]; handler: Handler }>();

  subscribe(subject: string, handler: Handler): BusSubscription {
    const sub = { pattern: subject.split('.'), handler };
    this.subs.add(sub);
    return { unsubscribe: () => this.subs.delete(sub) };
  }

  get subscriptionCount(): number {
    return this.subs.size;
  }

  /** Resolves with the reply, or rejects like NATS does when nobody listens. */
  request(subject: string, data: unknown, onReply?: (reply: unknown) => void): Promise<CommandReply> {
    const matching = [...this.subs].filter((s) => TestBus.matches(s.pattern, subject.split('.')));
    if (matching.length === 0) return Promise.reject(new Error(`no responders for ${subject}`));
    return new Promise((resolve, reject) => {
      const reply = (value: unknown): void => {
        onReply?.(value);
        resolve(value as CommandReply);
      };
      for (const s of matching) Promise.resolve(s.handler({ subject, data, reply })).catch(reject);
    });
  }

  private static matches(pattern: string[], tokens: string[]): boolean {
    for (let i = 0; i < pattern.length; i++) {
      if (pattern[i] === '>') return tokens.length > i;
      if (tokens[i] === undefined || (pattern[i] !== '*' && pattern[i] !== tokens[i])) return false;
    }
    return tokens.length === pattern.length;
  }
}

describe('command bus', () => {
  let dir: string;
  let sim: Simulator;
  let bus: TestBus;
  const pool = new SimulatorPool();

  const telemetry = (): TelemetrySnapshot => readJson<TelemetrySnapshot>(path.join(dir, WORKSPACE_PATHS.telemetry));
  const lineage = (): LineageIndex => readJson<LineageIndex>(path.join(dir, WORKSPACE_PATHS.lineage));

  beforeEach(async () => {
    dir = await makeWorkspace();
    sim = pool.create({ workspace: dir, seed: 4, autopilot: false });
    sim.tick();
    bus = new TestBus();
    sim.attachBus(bus, 'node-a');
  });

  afterEach(async () => {
    pool.stopAll();
    await removeWorkspace(dir);
  });

  it('subscribes with a single-token wildcard for the node', () => {
    expect(commandSubject('node-a')).toBe('lookout.cmd.node-a.*');
    expect(bus.subscriptionCount).toBe(1);
  });

  it('runs kill from the subject and has state_active 0 on disk when the reply is sent', async () => {
    let stateAtReply: number | undefined;
    const reply = await bus.request('lookout.cmd.node-a.kill', { params: {}, action_id: 'act-1' }, () => {
      stateAtReply = telemetry().metrics.state_active;
    });
    expect(reply).toMatchObject({ ok: true, action_id: 'act-1' });
    expect(stateAtReply).toBe(0);
  });

  it('runs retrain and the new generation is in the lineage when the reply is sent', async () => {
    let idsAtReply: string[] = [];
    const reply = await bus.request('lookout.cmd.node-a.retrain', { action_id: 'act-2' }, () => {
      idsAtReply = lineage().generations.map((g) => g.id);
    });
    expect(reply.ok).toBe(true);
    expect(idsAtReply).toContain(reply.data!.generation);
  });

  it('passes params through to the command', async () => {
    const reply = await bus.request('lookout.cmd.node-a.rollback', { params: { target: 'gen-0001' } });
    expect(reply).toMatchObject({ ok: true, data: { generation: 'gen-0001' } });
  });

  it.each([
    ['a string', 'kill'],
    ['null', null],
    ['undefined', undefined],
    ['an array', [{ params: {} }]],
    ['params as a string', { params: 'now' }],
    ['params as an array', { params: [] }],
    ['a numeric action_id', { action_id: 7 }],
  ])('replies ok false to a malformed payload (%s) and does not act on it', async (_label, data) => {
    const reply = await bus.request('lookout.cmd.node-a.kill', data);
    expect(reply.ok).toBe(false);
    expect(reply.message).toMatch(/malformed/);
    expect(telemetry().metrics.state_active).toBe(1);
  });

  it('replies ok false to an unknown action', async () => {
    const reply = await bus.request('lookout.cmd.node-a.self_destruct', {});
    expect(reply).toMatchObject({ ok: false });
    expect(reply.message).toContain('unknown action');
  });

  it('does not hear commands addressed to another node', async () => {
    await expect(bus.request('lookout.cmd.node-b.kill', {})).rejects.toThrow(/no responders/);
    expect(telemetry().metrics.state_active).toBe(1);
  });

  it('unsubscribes when the simulator stops', async () => {
    sim.stop();
    expect(bus.subscriptionCount).toBe(0);
    await expect(bus.request('lookout.cmd.node-a.kill', {})).rejects.toThrow(/no responders/);
  });

  it('unsubscribes one attachment through the returned subscription', () => {
    const second = new TestBus();
    const sub = sim.attachBus(second, 'node-a');
    expect(second.subscriptionCount).toBe(1);
    sub.unsubscribe();
    expect(second.subscriptionCount).toBe(0);
    expect(bus.subscriptionCount).toBe(1);
  });

  it.each(['', 'a.b', 'node*', 'node>', 'two words'])('rejects the node name %j', (node) => {
    expect(() => sim.attachBus(bus, node)).toThrow(InvalidNodeNameError);
  });
});
