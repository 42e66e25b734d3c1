import type { CommandResult } from './types';

/**
 * The message shape the simulator needs from a bus. Structural on purpose: the exporter's in-process
 * bus and the NATS adapter both satisfy it without the examples package importing either.
 */
export interface BusMessage {
  subject: string;
  data: unknown;
  reply?: (data: unknown) => void;
}

export interface BusSubscription {
  unsubscribe(): void;
}

export interface CommandBus {
  subscribe(subject: string, handler: (msg: BusMessage) => void | Promise<void>): BusSubscription;
}

/** Runs one command; the simulator's `handleCommand`. */
export type CommandHandler = (action: string, params: Record<string, unknown>) => Promise<CommandResult>;

/** What a bus reply carries: the command result, plus the caller's `action_id` echoed for correlation. */
export interface CommandReply extends CommandResult {
  action_id?: string;
}

const SUBJECT_PREFIX = 'lookout.cmd';

/** Thrown when a node name cannot be used as a single NATS subject token. */
export class InvalidNodeNameError extends Error {
  override readonly name = 'InvalidNodeNameError';

  constructor(readonly node: string) {
    super(`node name ${JSON.stringify(node)} must be a single NATS subject token (no ".", "*", ">" or whitespace)`);
  }
}

/** `lookout.cmd.<node>.*`: every action addressed to `node`. */
export function commandSubject(node: string): string {
  if (node.length === 0 || /[.*>\s]/.test(node)) throw new InvalidNodeNameError(node);
  return `${SUBJECT_PREFIX}.${node}.*`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type ParsedRequest =
  | { ok: true; action: string; params: Record<string, unknown>; actionId: string | undefined }
  | { ok: false; message: string; actionId: string | undefined };

/** Validates a command message; errors name the offending field so the caller can fix its payload. */
export function parseCommandMessage(node: string, msg: BusMessage): ParsedRequest {
  const data = msg.data;
  const actionId = isPlainObject(data) && typeof data.action_id === 'string' ? data.action_id : undefined;
  const tokens = msg.subject.split('.');
  const expected = `${SUBJECT_PREFIX}.${node}.`;
  const action = tokens[tokens.length - 1] ?? '';
  if (!msg.subject.startsWith(expected) || tokens.length !== 4 || action.length === 0) {
    return { ok: false, message: `subject ${JSON.stringify(msg.subject)} is not ${expected}<action>`, actionId };
  }
  if (!isPlainObject(data)) {
    return { ok: false, message: 'malformed command: payload must be an object { params?, action_id? }', actionId };
  }
  if (data.params !== undefined && !isPlainObject(data.params)) {
    return { ok: false, message: 'malformed command: params must be an object', actionId };
  }
  if (data.action_id !== undefined && typeof data.action_id !== 'string') {
    return { ok: false, message: 'malformed command: action_id must be a string', actionId };
  }
  return { ok: true, action, params: data.params ?? {}, actionId };
}

/**
 * Subscribes to `lookout.cmd.<node>.*` and answers each request with the command's result. A malformed
 * payload, or a handler that throws, is answered with `{ ok: false }` rather than left without a reply,
 * so the sidecar's action fails fast instead of timing out.
 */
export function attachCommandBus(bus: CommandBus, node: string, handle: CommandHandler): BusSubscription {
  const subject = commandSubject(node);
  return bus.subscribe(subject, async (msg) => {
    const parsed = parseCommandMessage(node, msg);
    let reply: CommandReply;
    if (!parsed.ok) {
      reply = { ok: false, message: parsed.message };
    } else {
      try {
        reply = await handle(parsed.action, parsed.params);
      } catch (err) {
        reply = { ok: false, message: `command ${parsed.action} failed: ${(err as Error).message}` };
      }
    }
    if (parsed.actionId !== undefined) reply = { ...reply, action_id: parsed.actionId };
    msg.reply?.(reply);
  });
}
