import { type NatsConnection, connect } from '@nats-io/transport-node';
import type { BusMessage, BusSubscription, CommandBus } from './command-bus';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The workload could not reach NATS within the start-up timeout. */
export class NatsConnectError extends Error {
  override readonly name = 'NatsConnectError';
}

export interface NatsCommandBusOptions {
  /** NATS server URL(s), comma separated. */
  url: string;
  /** Client name shown by the server's monitoring. */
  name?: string;
  token?: string;
  user?: string;
  pass?: string;
}

/**
 * The simulator's `CommandBus` over a real NATS connection: JSON payloads, replies through the
 * request's reply subject. Reconnects forever so a NATS restart does not stop the workload from
 * answering commands.
 */
export class NatsCommandBus implements CommandBus {
  private constructor(readonly connection: NatsConnection) {}

  static async connect(opts: NatsCommandBusOptions): Promise<NatsCommandBus> {
    try {
      const nc = await connect({
        servers: opts.url
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        name: opts.name ?? 'lookout-simulator',
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        ...(opts.token ? { token: opts.token } : {}),
        ...(opts.user ? { user: opts.user, pass: opts.pass ?? '' } : {}),
      });
      return new NatsCommandBus(nc);
    } catch (err) {
      throw new NatsConnectError(`cannot connect to NATS at ${opts.url}: ${(err as Error).message}`, { cause: err });
    }
  }

  subscribe(subject: string, handler: (msg: BusMessage) => void | Promise<void>): BusSubscription {
    const sub = this.connection.subscribe(subject, {
      callback: (err, m) => {
        if (err) return;
        let data: unknown = undefined;
        if (m.data.length) {
          const text = decoder.decode(m.data);
          try {
            data = JSON.parse(text);
          } catch {
            // Not JSON: hand the text over; the command parser answers "malformed command".
            data = text;
          }
        }
        const msg: BusMessage = { subject: m.subject, data };
        if (m.reply) msg.reply = (reply: unknown) => void m.respond(encoder.encode(JSON.stringify(reply)));
        Promise.resolve()
          .then(() => handler(msg))
          .catch((e: unknown) => console.error(`lookout-simulator: command handler failed: ${(e as Error).message}`));
      },
    });
    return { unsubscribe: () => sub.unsubscribe() };
  }

  /** Finishes in-flight replies, then closes. */
  async drain(): Promise<void> {
    if (!this.connection.isClosed()) await this.connection.drain();
  }
}
