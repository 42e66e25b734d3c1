import {
  type Bus,
  type BusHandler,
  type BusSubscription,
  BusNoRespondersError,
  BusTimeoutError,
  subjectMatches,
} from './bus';

/** One node, one process: subjects routed in memory with NATS matching rules. */
export class InProcessBus implements Bus {
  readonly kind = 'inprocess' as const;
  private readonly subs = new Set<{ pattern: string; handler: BusHandler }>();
  private closed = false;

  async publish(subject: string, data: unknown): Promise<void> {
    this.deliver(subject, data, undefined);
  }

  subscribe(subject: string, handler: BusHandler): BusSubscription {
    const entry = { pattern: subject, handler };
    this.subs.add(entry);
    return { unsubscribe: () => this.subs.delete(entry) };
  }

  request(subject: string, data: unknown, opts: { timeoutMs: number }): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        reject(new BusTimeoutError(subject, opts.timeoutMs));
      }, opts.timeoutMs);
      const delivered = this.deliver(subject, data, (reply) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(reply);
      });
      if (delivered === 0) {
        settled = true;
        clearTimeout(timer);
        reject(new BusNoRespondersError(subject));
      }
    });
  }

  isConnected(): boolean {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subs.clear();
  }

  private deliver(subject: string, data: unknown, reply: ((d: unknown) => void) | undefined): number {
    if (this.closed) return 0;
    // Copy through JSON so a receiver can never mutate the sender's object, as on a real wire.
    const wire = data === undefined ? undefined : JSON.parse(JSON.stringify(data));
    let n = 0;
    for (const s of [...this.subs]) {
      if (!subjectMatches(s.pattern, subject)) continue;
      n++;
      queueMicrotask(() => {
        Promise.resolve()
          .then(() => s.handler({ subject, data: wire, reply }))
          .catch(() => {
            // A handler's failure is the handler's to report; the bus keeps delivering.
          });
      });
    }
    return n;
  }
}
