import fs from 'node:fs';
import {
  type ConnectionOptions,
  type Msg,
  type NatsConnection,
  type Subscription,
  connect,
  credsAuthenticator,
  errors as natsErrors,
  headers as natsHeaders,
} from '@nats-io/transport-node';
import type { Config } from '../config/config-schema';
import type { Logger } from '../log/logger';
import {
  type Bus,
  type BusHandler,
  type BusMessage,
  type BusSubscription,
  type PublishOptions,
  BusNoRespondersError,
  BusNotConnectedError,
  BusTimeoutError,
} from './bus';

export type NatsConfig = Config['nats'];

/** What the bus reports to whoever watches it (the bus part turns these into metrics and logs). */
export type NatsBusEvent =
  | { type: 'connected'; server: string }
  | { type: 'disconnected'; server: string }
  | { type: 'reconnected'; server: string }
  | { type: 'connect_failed'; error: string }
  | { type: 'error'; error: string };

/** A NATS config that cannot be used (a credentials or TLS file that cannot be read). */
export class NatsConfigError extends Error {
  override name = 'NatsConfigError';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJson(data: unknown): Uint8Array {
  return data === undefined ? new Uint8Array(0) : encoder.encode(JSON.stringify(data));
}

/** Bytes → JSON value; a payload that is not JSON comes back as text with the parse error. */
export function decodeJson(bytes: Uint8Array): { data: unknown; decodeError?: string } {
  if (bytes.length === 0) return { data: undefined };
  const text = decoder.decode(bytes);
  try {
    return { data: JSON.parse(text) as unknown };
  } catch (err) {
    return { data: text, decodeError: `payload is not JSON: ${(err as Error).message}` };
  }
}

interface WantedSubscription {
  subject: string;
  handler: BusHandler;
  sub: Subscription | null;
}

/** The connection options from config: servers, credentials, TLS and the reconnect policy. */
export function natsConnectionOptions(cfg: NatsConfig, name: string, nextDelay: () => number): ConnectionOptions {
  if (!cfg.url) throw new NatsConfigError('nats.url is not set');
  const opts: ConnectionOptions = {
    servers: cfg.url
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    name,
    // Never give up: an outage delays publishing (the outbox holds everything), it must not end it.
    maxReconnectAttempts: -1,
    reconnect: true,
    reconnectDelayHandler: nextDelay,
    timeout: 5000,
    pingInterval: 10_000,
    maxPingOut: 3,
    // nats.js otherwise captures a stack trace (an Error) up front for every request — each JetStream
    // publish, KV put and command — to decorate a timeout that almost never comes: a measurable share
    // of the CPU a kill costs. Errors keep their message and cause; only the caller's frames are lost.
    noAsyncTraces: true,
  };
  if (cfg.token) opts.token = cfg.token;
  if (cfg.user) opts.user = cfg.user;
  if (cfg.pass) opts.pass = cfg.pass;
  if (cfg.creds_file) {
    try {
      opts.authenticator = credsAuthenticator(fs.readFileSync(cfg.creds_file));
    } catch (err) {
      throw new NatsConfigError(`nats.creds_file ${cfg.creds_file} cannot be read: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  if (cfg.tls_ca_file || cfg.tls_cert_file || cfg.tls_key_file) {
    for (const [key, file] of [
      ['tls_ca_file', cfg.tls_ca_file],
      ['tls_cert_file', cfg.tls_cert_file],
      ['tls_key_file', cfg.tls_key_file],
    ] as const) {
      if (file && !fs.existsSync(file)) throw new NatsConfigError(`nats.${key} ${file} does not exist`);
    }
    opts.tls = {
      ...(cfg.tls_ca_file ? { caFile: cfg.tls_ca_file } : {}),
      ...(cfg.tls_cert_file ? { certFile: cfg.tls_cert_file } : {}),
      ...(cfg.tls_key_file ? { keyFile: cfg.tls_key_file } : {}),
    };
  }
  return opts;
}

/**
 * The Bus over a NATS connection. Start-up never waits for NATS: `start()` connects in the
 * background and keeps trying (backoff with jitter) until it succeeds or the bus is closed, so a
 * sidecar whose NATS is down still serves its API, stores every event (the outbox publishes them
 * later) and reports the bus as not ready. Once connected, the client reconnects forever with the
 * same backoff; subscriptions made before the first connect are created when it happens.
 */
export class NatsBus implements Bus {
  readonly kind = 'nats' as const;
  private nc: NatsConnection | null = null;
  private connected = false;
  private closing = false;
  private attempt = 0;
  private loop: Promise<void> | null = null;
  private readonly wanted = new Set<WantedSubscription>();
  private readonly listeners = new Set<(e: NatsBusEvent) => void>();
  private readonly waiters = new Set<() => void>();
  private sleeper: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  /** Increments on every (re)connect so users of the raw connection know to re-check server state. */
  epoch = 0;
  lastError: string | null = null;
  connectedSince: Date | null = null;

  constructor(
    private readonly cfg: NatsConfig,
    private readonly log: Logger,
    private readonly clientName = 'lookout-exporter'
  ) {
    // Fail fast on unusable credential or TLS files rather than retrying them forever.
    natsConnectionOptions(cfg, clientName, () => 0);
  }

  /** Begins connecting in the background; returns at once. */
  start(): void {
    this.loop ??= this.connectLoop();
  }

  /** The raw connection while connected (the outbox uses it for JetStream), else null. */
  connection(): NatsConnection | null {
    return this.connected && this.nc && !this.nc.isClosed() ? this.nc : null;
  }

  /** The server the client talks to, when connected. */
  server(): string | null {
    return this.connection()?.getServer() ?? null;
  }

  onEvent(listener: (e: NatsBusEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the connection once connected, or null after `timeoutMs` or on close. */
  async waitForConnection(timeoutMs: number): Promise<NatsConnection | null> {
    const now = this.connection();
    if (now || this.closing) return now;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(this.connection());
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  isConnected(): boolean {
    return this.connection() !== null;
  }

  async publish(subject: string, data: unknown, opts: PublishOptions = {}): Promise<void> {
    // While reconnecting the client buffers publishes; before the first connect there is nowhere to put them.
    const nc = this.nc;
    if (!nc || nc.isClosed() || this.closing) throw new BusNotConnectedError(subject);
    if (opts.msgId) {
      const h = natsHeaders();
      h.set('Nats-Msg-Id', opts.msgId);
      nc.publish(subject, encodeJson(data), { headers: h });
    } else {
      nc.publish(subject, encodeJson(data));
    }
  }

  subscribe(subject: string, handler: BusHandler): BusSubscription {
    const entry: WantedSubscription = { subject, handler, sub: null };
    this.wanted.add(entry);
    if (this.nc && !this.nc.isClosed()) this.attachSubscription(this.nc, entry);
    return {
      unsubscribe: () => {
        this.wanted.delete(entry);
        entry.sub?.unsubscribe();
        entry.sub = null;
      },
    };
  }

  async request(subject: string, data: unknown, opts: { timeoutMs: number }): Promise<unknown> {
    const started = Date.now();
    const nc = await this.waitForConnection(opts.timeoutMs);
    if (!nc) throw new BusTimeoutError(subject, opts.timeoutMs, { cause: new BusNotConnectedError(subject) });
    const remaining = Math.max(1, opts.timeoutMs - (Date.now() - started));
    try {
      const msg = await nc.request(subject, encodeJson(data), { timeout: remaining });
      return decodeJson(msg.data).data;
    } catch (err) {
      throw mapRequestError(err, subject, opts.timeoutMs);
    }
  }

  /** Drains (finishes in-flight handlers and flushes pending publishes) and closes. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.sleeper) {
      clearTimeout(this.sleeper.timer);
      this.sleeper.resolve();
    }
    for (const w of [...this.waiters]) w();
    const nc = this.nc;
    if (nc && !nc.isClosed()) {
      if (this.connected) {
        try {
          await withTimeout(nc.drain(), 10_000);
        } catch (err) {
          this.log.warn({ err }, 'nats drain did not finish; closing');
        }
      }
      if (!nc.isClosed()) await nc.close();
    }
    this.connected = false;
    await this.loop;
  }

  private emit(e: NatsBusEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.error({ err }, 'nats bus listener failed');
      }
    }
  }

  /** Exponential backoff from reconnect_wait_ms to reconnect_max_wait_ms, plus jitter. */
  private nextDelay(): number {
    const base = Math.min(this.cfg.reconnect_max_wait_ms, this.cfg.reconnect_wait_ms * 2 ** Math.min(this.attempt, 20));
    this.attempt++;
    return base + Math.floor(Math.random() * (this.cfg.reconnect_jitter_ms + 1));
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      this.sleeper = { timer: setTimeout(resolve, ms), resolve };
    });
    this.sleeper = null;
  }

  private async connectLoop(): Promise<void> {
    while (!this.closing) {
      try {
        const nc = await connect(natsConnectionOptions(this.cfg, this.clientName, () => this.nextDelay()));
        if (this.closing) {
          await nc.close();
          return;
        }
        this.attach(nc);
        // A connection closed for good (not by us) — e.g. the server revoked our credentials — starts over.
        const err = await nc.closed();
        this.connected = false;
        if (this.closing) return;
        this.lastError = err ? err.message : 'connection closed';
        this.emit({ type: 'disconnected', server: nc.getServer() });
        this.log.warn({ err }, 'nats connection closed; connecting again');
      } catch (err) {
        this.lastError = (err as Error).message;
        if (this.attempt === 0)
          this.log.warn({ err, url: this.cfg.url }, 'nats not reachable; retrying in the background');
        this.emit({ type: 'connect_failed', error: this.lastError });
      }
      if (!this.closing) await this.sleep(this.nextDelay());
    }
  }

  private attach(nc: NatsConnection): void {
    this.nc = nc;
    this.connected = true;
    this.attempt = 0;
    this.epoch++;
    this.connectedSince = new Date();
    for (const entry of this.wanted) this.attachSubscription(nc, entry);
    void this.watchStatus(nc);
    this.log.info({ server: nc.getServer() }, 'nats connected');
    this.emit({ type: 'connected', server: nc.getServer() });
    for (const w of [...this.waiters]) w();
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
          this.connected = false;
          this.connectedSince = null;
          this.log.warn({ server: s.server }, 'nats disconnected; reconnecting');
          this.emit({ type: 'disconnected', server: s.server });
          break;
        case 'reconnect':
          this.connected = true;
          this.attempt = 0;
          this.epoch++;
          this.connectedSince = new Date();
          this.log.info({ server: s.server }, 'nats reconnected');
          this.emit({ type: 'reconnected', server: s.server });
          for (const w of [...this.waiters]) w();
          break;
        case 'error':
          this.lastError = s.error.message;
          this.emit({ type: 'error', error: s.error.message });
          break;
        default:
          break;
      }
    }
  }

  private attachSubscription(nc: NatsConnection, entry: WantedSubscription): void {
    // nats.js re-creates subscriptions on the server after a reconnect by itself.
    entry.sub = nc.subscribe(entry.subject, {
      callback: (err, msg) => {
        if (err) {
          this.log.warn({ err, subject: entry.subject }, 'nats subscription error');
          return;
        }
        this.deliver(entry, msg);
      },
    });
  }

  private deliver(entry: WantedSubscription, msg: Msg): void {
    const decoded = decodeJson(msg.data);
    const busMsg: BusMessage = { subject: msg.subject, data: decoded.data };
    if (decoded.decodeError) busMsg.decodeError = decoded.decodeError;
    if (msg.reply) {
      busMsg.reply = (data: unknown) => {
        try {
          msg.respond(encodeJson(data));
        } catch (err) {
          this.log.debug({ err, subject: msg.subject }, 'reply not sent');
        }
      };
    }
    Promise.resolve()
      .then(() => entry.handler(busMsg))
      .catch((err: unknown) => {
        this.log.error({ err, subject: msg.subject }, 'bus handler failed');
      });
  }
}

function mapRequestError(err: unknown, subject: string, timeoutMs: number): Error {
  if (err instanceof natsErrors.TimeoutError) return new BusTimeoutError(subject, timeoutMs, { cause: err });
  if (err instanceof natsErrors.NoRespondersError) return new BusNoRespondersError(subject, { cause: err });
  if (err instanceof natsErrors.RequestError) {
    if (err.isNoResponders()) return new BusNoRespondersError(subject, { cause: err });
    if (err.cause instanceof natsErrors.TimeoutError) return new BusTimeoutError(subject, timeoutMs, { cause: err });
  }
  if (err instanceof natsErrors.ClosedConnectionError || err instanceof natsErrors.DrainingConnectionError) {
    return new BusNotConnectedError(subject, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
