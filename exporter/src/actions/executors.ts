import { execFile } from 'node:child_process';
import { z } from 'zod';
import type { Bus } from '../bus/bus';
import type { ExecutorConfig } from './actions-config';

/** What every executor is asked to do. */
export interface ExecutionRequest {
  action: string;
  action_id: string;
  node: string;
  params: Record<string, unknown>;
  reason: string;
  actor: string;
}

/** The workload's answer; `ok: false` is a refusal, not a transport failure. */
export interface ExecutionResult {
  ok: boolean;
  message: string;
  data?: Record<string, unknown>;
  attempts?: number;
}

/** One transport that carries an action to the workload. */
export interface Executor {
  readonly kind: 'bus' | 'webhook' | 'command' | 'local';
  /** Resolves with the workload's result; rejects with an ExecutorError when it could not be asked. */
  execute(req: ExecutionRequest): Promise<ExecutionResult>;
}

/** The action could not be delivered or its answer not read. */
export class ExecutorError extends Error {
  override name = 'ExecutorError';
}

export class ExecutorTimeoutError extends ExecutorError {
  override name = 'ExecutorTimeoutError';
}

const replySchema = z.looseObject({
  ok: z.boolean(),
  message: z.string().default(''),
  data: z.record(z.string(), z.unknown()).optional(),
});

function parseReply(value: unknown, where: string): ExecutionResult {
  const r = replySchema.safeParse(value);
  if (!r.success) throw new ExecutorError(`${where}: reply is not { ok, message, data? }`);
  return { ok: r.data.ok, message: r.data.message, ...(r.data.data ? { data: r.data.data } : {}) };
}

/** NATS-style request/reply on `lookout.cmd.<node>.<action>` (in-process bus or NATS, same interface). */
export class BusExecutor implements Executor {
  readonly kind = 'bus' as const;
  constructor(
    private readonly bus: Bus,
    private readonly opts: { subject?: string; timeoutMs: number }
  ) {}

  subjectFor(req: ExecutionRequest): string {
    return this.opts.subject ?? `lookout.cmd.${req.node}.${req.action}`;
  }

  async execute(req: ExecutionRequest): Promise<ExecutionResult> {
    const subject = this.subjectFor(req);
    let reply: unknown;
    try {
      reply = await this.bus.request(
        subject,
        { action_id: req.action_id, params: { ...req.params, reason: req.reason }, actor: req.actor },
        { timeoutMs: this.opts.timeoutMs }
      );
    } catch (err) {
      const E = (err as Error).name === 'BusTimeoutError' ? ExecutorTimeoutError : ExecutorError;
      throw new E(`bus ${subject}: ${(err as Error).message}`, { cause: err });
    }
    return { ...parseReply(reply, `bus ${subject}`), attempts: 1 };
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** HTTP webhook: JSON POST, per-attempt timeout, bounded retries with exponential backoff on 5xx/network. */
export class WebhookExecutor implements Executor {
  readonly kind = 'webhook' as const;
  constructor(private readonly cfg: Extract<ExecutorConfig, { type: 'webhook' }>) {}

  async execute(req: ExecutionRequest): Promise<ExecutionResult> {
    const attempts = this.cfg.retries + 1;
    let last: Error = new ExecutorError('webhook: no attempt made');
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await sleep(this.cfg.backoff_ms * 2 ** (i - 1));
      let res: Response;
      try {
        res = await fetch(this.cfg.url, {
          method: this.cfg.method,
          headers: { 'content-type': 'application/json', 'idempotency-key': req.action_id, ...this.cfg.headers },
          body: JSON.stringify(req),
          signal: AbortSignal.timeout(this.cfg.timeout_ms),
        });
      } catch (err) {
        const timedOut = (err as Error).name === 'TimeoutError';
        last = timedOut
          ? new ExecutorTimeoutError(`webhook: no answer within ${this.cfg.timeout_ms} ms`, { cause: err })
          : new ExecutorError(`webhook: ${(err as Error).message}`, { cause: err });
        continue;
      }
      const text = await res.text().catch(() => '');
      if (res.status >= 500 || res.status === 429) {
        last = new ExecutorError(`webhook: HTTP ${res.status}`);
        continue;
      }
      if (res.status >= 400) {
        // The receiver understood and refused: asking again would get the same answer.
        return { ok: false, message: `webhook refused: HTTP ${res.status} ${text.slice(0, 200)}`, attempts: i + 1 };
      }
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON: a 2xx without a structured answer still counts as done.
      }
      const parsed = replySchema.safeParse(body);
      const result: ExecutionResult = parsed.success
        ? { ok: parsed.data.ok, message: parsed.data.message, ...(parsed.data.data ? { data: parsed.data.data } : {}) }
        : { ok: true, message: `HTTP ${res.status}` };
      return { ...result, attempts: i + 1 };
    }
    throw last;
  }
}

/**
 * Runs a program with arguments, never through a shell. The request goes in the environment
 * (LOOKOUT_ACTION, LOOKOUT_ACTION_ID, LOOKOUT_PARAMS, LOOKOUT_REASON, LOOKOUT_ACTOR); exit 0 is success,
 * a JSON `{ ok, message, data }` on stdout is taken as the answer. On timeout the process is killed.
 */
export class CommandExecutor implements Executor {
  readonly kind = 'command' as const;
  constructor(private readonly cfg: Extract<ExecutorConfig, { type: 'command' }>) {}

  execute(req: ExecutionRequest): Promise<ExecutionResult> {
    const [file, ...args] = this.cfg.argv;
    return new Promise((resolve, reject) => {
      execFile(
        file!,
        args,
        {
          shell: false,
          timeout: this.cfg.timeout_ms,
          killSignal: 'SIGKILL',
          maxBuffer: 1024 * 1024,
          cwd: this.cfg.cwd,
          env: {
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            LOOKOUT_ACTION: req.action,
            LOOKOUT_ACTION_ID: req.action_id,
            LOOKOUT_NODE: req.node,
            LOOKOUT_PARAMS: JSON.stringify(req.params),
            LOOKOUT_REASON: req.reason,
            LOOKOUT_ACTOR: req.actor,
          },
        },
        (err, stdout, stderr) => {
          const e = err as (Error & { code?: number | string; killed?: boolean; signal?: string }) | null;
          if (e && (e.killed || e.signal === 'SIGKILL') && typeof e.code !== 'string') {
            reject(new ExecutorTimeoutError(`command ${file}: killed after ${this.cfg.timeout_ms} ms`, { cause: err }));
            return;
          }
          if (e && typeof e.code === 'string') {
            reject(new ExecutorError(`command ${file}: ${e.message}`, { cause: err }));
            return;
          }
          let parsed: ExecutionResult | undefined;
          try {
            parsed = parseReply(JSON.parse(String(stdout).trim()), `command ${file}`);
          } catch {
            parsed = undefined;
          }
          if (e) {
            resolve({
              ok: false,
              message: `exit ${e.code ?? e.signal}: ${String(stderr).trim().slice(0, 500)}`,
              attempts: 1,
            });
            return;
          }
          resolve({
            ...(parsed ?? { ok: true, message: String(stdout).trim().slice(0, 500) || 'exit 0' }),
            attempts: 1,
          });
        }
      );
    });
  }
}

/** Builds the executor a config names. */
export function createExecutor(cfg: ExecutorConfig, bus: Bus): Executor {
  switch (cfg.type) {
    case 'bus':
      return new BusExecutor(bus, { subject: cfg.subject, timeoutMs: cfg.timeout_ms });
    case 'webhook':
      return new WebhookExecutor(cfg);
    case 'command':
      return new CommandExecutor(cfg);
  }
}
