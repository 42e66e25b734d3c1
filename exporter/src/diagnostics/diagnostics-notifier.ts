import type { Bus } from '../bus/bus';
import type { Logger } from '../log/logger';
import type { NotificationKind } from './diagnostic';
import type { DiagnosticsMetrics } from './diagnostics-metrics';

/** The NATS subject of a notification (docs/nats.md). */
export const notificationSubject = (node: string, kind: NotificationKind): string =>
  `lookout.diagnostics.${node}.${kind}`;

/** What the bus subject and the webhook receive. */
export interface DiagnosticNotification {
  kind: NotificationKind;
  /** Id of the `diagnostic.<kind>` event committed with the notification (dedup key). */
  event_id: string;
  ts: string;
  node: string;
  actor: string | null;
  diagnostic: {
    id: string;
    title: string;
    severity: string;
    status: string;
    assignee: string | null;
    due_at: string | null;
    component: string | null;
    tags: string[];
  };
}

export interface WebhookOptions {
  url: string | undefined;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
}

/** A webhook POST that failed for good (after the bounded retries). */
export class WebhookDeliveryError extends Error {
  override name = 'WebhookDeliveryError';
  constructor(
    readonly url: string,
    readonly attempts: number,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(`webhook ${url}: ${message} after ${attempts} attempt(s)`, options);
  }
}

class RetryableError extends Error {
  override name = 'RetryableError';
}

/**
 * Sends a committed notification to the bus and, when configured, to the webhook. Delivery runs
 * after the store commit and never throws into the caller: a failure is logged and counted.
 */
export class DiagnosticsNotifier {
  private readonly inflight = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly bus: Bus,
    private readonly metrics: DiagnosticsMetrics,
    private readonly log: Logger,
    private readonly webhook: WebhookOptions
  ) {}

  dispatch(n: DiagnosticNotification): void {
    const track = (p: Promise<void>): void => {
      this.inflight.add(p);
      void p.finally(() => this.inflight.delete(p));
    };
    track(
      this.bus.publish(notificationSubject(n.node, n.kind), n, { msgId: n.event_id }).catch((err: unknown) => {
        this.log.warn(
          { err, kind: n.kind, diagnostic: n.diagnostic.id },
          'diagnostics notification not published on the bus'
        );
      })
    );
    if (this.webhook.url) {
      const url = this.webhook.url;
      track(
        this.post(url, n).then(
          () => {
            this.metrics.webhookDeliveries.inc({ outcome: 'delivered' });
          },
          (err: unknown) => {
            this.metrics.webhookDeliveries.inc({ outcome: 'failed' });
            this.log.warn({ err, kind: n.kind, diagnostic: n.diagnostic.id }, 'diagnostics webhook failed');
          }
        )
      );
    }
  }

  private async post(url: string, n: DiagnosticNotification): Promise<void> {
    const { timeoutMs, retries, backoffMs } = this.webhook;
    const body = JSON.stringify(n);
    let lastErr: unknown;
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      if (this.abort.signal.aborted) throw new WebhookDeliveryError(url, attempt - 1, 'sidecar stopping');
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': n.event_id },
          body,
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(timeoutMs)]),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
        // A 4xx says the receiver rejects this payload; sending it again will not help (408/429 aside).
        if (res.status < 500 && res.status !== 408 && res.status !== 429) {
          throw new WebhookDeliveryError(url, attempt, `HTTP ${res.status}`);
        }
        throw new RetryableError(`HTTP ${res.status}`);
      } catch (err) {
        if (err instanceof WebhookDeliveryError) throw err;
        lastErr = err;
      }
      if (attempt <= retries) await this.sleep(backoffMs * 2 ** (attempt - 1));
    }
    throw new WebhookDeliveryError(url, retries + 1, (lastErr as Error)?.message ?? 'failed', { cause: lastErr });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.abort.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true }
      );
    });
  }

  /** Deliveries still running (tests wait on this; stop() drains it). */
  async settle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  /** Gives in-flight deliveries a short grace, then aborts retries and waits for them to end. */
  async stop(graceMs = 1000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.settle(), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    this.abort.abort();
    await this.settle();
  }
}
