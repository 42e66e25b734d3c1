/**
 * The message bus the sidecar speaks. Two implementations serve it: the in-process bus
 * (the embedded default, one node) and NATS (bus/nats-bus.ts). Payloads are JSON values.
 */
export interface BusMessage {
  subject: string;
  data: unknown;
  /** Present when the sender expects an answer (request/reply). */
  reply?: (data: unknown) => void;
  /**
   * Set when the payload was not JSON (NATS only): `data` is then the raw text and handlers must
   * reject the message rather than guess.
   */
  decodeError?: string;
}

export type BusHandler = (msg: BusMessage) => void | Promise<void>;

export interface BusSubscription {
  unsubscribe(): void;
}

export interface PublishOptions {
  /** Deduplication id (Nats-Msg-Id on JetStream). */
  msgId?: string;
}

export interface Bus {
  readonly kind: 'inprocess' | 'nats';
  /** Fire-and-forget publish (core subject, not the event stream). */
  publish(subject: string, data: unknown, opts?: PublishOptions): Promise<void>;
  /** Subjects use NATS syntax: `.`-separated tokens, `*` one token, `>` the rest. */
  subscribe(subject: string, handler: BusHandler): BusSubscription;
  /** Request/reply. Rejects with BusNoRespondersError or BusTimeoutError. */
  request(subject: string, data: unknown, opts: { timeoutMs: number }): Promise<unknown>;
  isConnected(): boolean;
  close(): Promise<void>;
}

export class BusNoRespondersError extends Error {
  override name = 'BusNoRespondersError';
  constructor(subject: string, options?: { cause?: unknown }) {
    super(`no responders on ${subject}`, options);
  }
}

export class BusTimeoutError extends Error {
  override name = 'BusTimeoutError';
  constructor(subject: string, timeoutMs: number, options?: { cause?: unknown }) {
    super(`no reply on ${subject} within ${timeoutMs} ms`, options);
  }
}

/** A publish found no connection to send on (NATS before its first connect, or after close). */
export class BusNotConnectedError extends Error {
  override name = 'BusNotConnectedError';
  constructor(subject: string, options?: { cause?: unknown }) {
    super(`bus not connected: cannot publish on ${subject}`, options);
  }
}

/** NATS subject matching: `*` matches one token, `>` one or more trailing tokens. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const tok = p[i];
    if (tok === '>') return s.length > i;
    if (i >= s.length) return false;
    if (tok !== '*' && tok !== s[i]) return false;
  }
  return p.length === s.length;
}
