import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { CommandExecutor, ExecutorTimeoutError, WebhookExecutor, type ExecutionRequest } from '../../src/actions';
import { type ControlHarness, startControlHarness } from './control-harness';
import { tempDir } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';

const req: ExecutionRequest = {
  action: 'restart_feed',
  action_id: '01TEST',
  node: 'n1',
  params: { venue: 'CME' },
  reason: 'stale feed',
  actor: 'operator',
};

describe('webhook executor', () => {
  let server: http.Server;
  let url: string;
  let answers: ((res: http.ServerResponse, body: string) => void)[];
  let bodies: string[];
  beforeEach(async () => {
    answers = [];
    bodies = [];
    server = http.createServer((r, res) => {
      let body = '';
      r.on('data', (c: Buffer) => (body += c.toString()));
      r.on('end', () => {
        bodies.push(body);
        (answers.shift() ?? ((s) => s.end('{"ok":true,"message":"default"}')))(res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const exec = (o: Partial<{ retries: number; timeout_ms: number }> = {}): WebhookExecutor =>
    new WebhookExecutor({
      type: 'webhook',
      url,
      method: 'POST',
      headers: {},
      timeout_ms: o.timeout_ms ?? 2000,
      retries: o.retries ?? 2,
      backoff_ms: 10,
    });

  test('retries a 5xx with backoff and returns the answer of the attempt that worked', async () => {
    answers.push(
      (res) => res.writeHead(503).end(),
      (res) => res.writeHead(502).end(),
      (res) => res.end('{"ok":true,"message":"restarted"}')
    );
    const r = await exec().execute(req);
    expect(r).toMatchObject({ ok: true, message: 'restarted', attempts: 3 });
    expect(JSON.parse(bodies[0]!)).toMatchObject({
      action: 'restart_feed',
      action_id: '01TEST',
      params: { venue: 'CME' },
      reason: 'stale feed',
    });
  });

  test('gives up after the bounded retries', async () => {
    for (let i = 0; i < 3; i++) answers.push((res) => res.writeHead(500).end());
    await expect(exec({ retries: 1 }).execute(req)).rejects.toThrow('HTTP 500');
    expect(bodies).toHaveLength(2);
  });

  test('a 4xx is a refusal and is not retried', async () => {
    answers.push((res) => res.writeHead(422).end('bad venue'));
    const r = await exec().execute(req);
    expect(r.ok).toBe(false);
    expect(r.message).toContain('422');
    expect(bodies).toHaveLength(1);
  });

  test('an answer slower than the timeout is an ExecutorTimeoutError', async () => {
    answers.push((res) => setTimeout(() => res.end('{"ok":true}'), 500));
    await expect(exec({ retries: 0, timeout_ms: 50 }).execute(req)).rejects.toBeInstanceOf(ExecutorTimeoutError);
  });
});

describe('command executor', () => {
  test('runs argv without a shell and passes the request in the environment', async () => {
    const out = path.join(tempDir('cmd'), 'out.txt');
    const script = `require('fs').writeFileSync(process.argv[1], process.argv[2] + '|' + process.env.LOOKOUT_PARAMS); console.log(JSON.stringify({ ok: true, message: 'done', data: { action: process.env.LOOKOUT_ACTION } }))`;
    const e = new CommandExecutor({
      type: 'command',
      argv: [process.execPath, '-e', script, out, '$(touch /tmp/pwned); `id`'],
      timeout_ms: 5000,
    });
    const r = await e.execute(req);
    expect(r).toMatchObject({ ok: true, message: 'done', data: { action: 'restart_feed' } });
    expect(fs.readFileSync(out, 'utf8')).toBe('$(touch /tmp/pwned); `id`|{"venue":"CME"}');
  });

  test('a non-zero exit is a failure with its stderr', async () => {
    const e = new CommandExecutor({
      type: 'command',
      argv: [process.execPath, '-e', 'console.error("venue down"); process.exit(3)'],
      timeout_ms: 5000,
    });
    const r = await e.execute(req);
    expect(r.ok).toBe(false);
    expect(r.message).toContain('venue down');
  });

  test('a command that outlives its timeout is killed', async () => {
    const dir = tempDir('cmd');
    const pidFile = path.join(dir, 'pid');
    // It would run forever: it writes its pid, then keeps working.
    const e = new CommandExecutor({
      type: 'command',
      argv: [
        process.execPath,
        '-e',
        `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000)`,
      ],
      timeout_ms: 500,
    });
    await expect(e.execute(req)).rejects.toBeInstanceOf(ExecutorTimeoutError);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    // Killed means gone: the kernel no longer knows the process (a dead one writes nothing more).
    await waitFor(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ESRCH';
      }
    });
  });
});

describe('custom actions from config', () => {
  let h: ControlHarness;
  afterEach(async () => {
    await h.stop();
  });

  test('a custom command action whose expected effect never shows times out and opens an incident', async () => {
    h = await startControlHarness({
      overrides: {
        actions: {
          custom: [
            {
              name: 'drain_orders',
              summary: 'Drain the order book',
              executor: {
                type: 'command',
                argv: [process.execPath, '-e', 'console.log(JSON.stringify({ok:true,message:"drained"}))'],
              },
              expect: { metric: 'open_orders', op: '==', value: 0, deadline: '300ms' },
            },
          ],
        },
      },
    });
    const plan = await h.t.call('POST', '/api/v1/actions/drain_orders/plan', { as: 'operator', body: {} });
    expect((plan.body as { allowed: boolean }).allowed).toBe(true);
    const r = await h.act('drain_orders');
    expect(r.status).toBe(202);
    const done = await h.settled(r.body['id'] as string);
    expect(done).toMatchObject({
      status: 'timed_out',
      executor: 'command',
      result: expect.objectContaining({ message: 'drained' }),
    });
    expect(done['incident_id']).toEqual(expect.any(String));
    const m = await h.t.call('GET', '/metrics', { as: 'viewer' });
    expect(String(m.body)).toMatch(
      /lookout_action_verifications_total\{[^}]*action="drain_orders"[^}]*result="timed_out"[^}]*\} 1/
    );
    expect(String(m.body)).toMatch(
      /lookout_scheduler_actions_total\{[^}]*action="drain_orders"[^}]*outcome="timed_out"[^}]*trigger="api"|lookout_scheduler_actions_total\{[^}]*action="drain_orders"[^}]*trigger="api"[^}]*outcome="timed_out"/
    );
  });

  test('an unknown action is a 404', async () => {
    h = await startControlHarness();
    expect((await h.t.call('POST', '/api/v1/actions/nope/plan', { as: 'operator', body: {} })).status).toBe(404);
  });
});
