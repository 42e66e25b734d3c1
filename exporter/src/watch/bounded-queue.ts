/**
 * Runs async tasks with at most `concurrency` in flight, so a burst of 50,000 file events cannot
 * open 50,000 file descriptors at once. Tasks must handle their own errors; a rejection is
 * reported to `onError` and never stops the queue.
 */
export class BoundedQueue {
  private readonly waiting: (() => Promise<void>)[] = [];
  private head = 0;
  private running = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly onError: (err: unknown) => void
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new Error(`concurrency must be a positive integer, got ${concurrency}`);
  }

  get size(): number {
    return this.waiting.length - this.head + this.running;
  }

  push(task: () => Promise<void>): void {
    this.waiting.push(task);
    this.pump();
  }

  /** Resolves once nothing is queued or running. */
  onIdle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running < this.concurrency && this.head < this.waiting.length) {
      const task = this.waiting[this.head]!;
      this.head++;
      this.running++;
      void task()
        .catch((err: unknown) => this.onError(err))
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
    // Compact the array now and then instead of shift()ing (O(n) per call on a 50k backlog).
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    if (this.size === 0 && this.idleWaiters.length) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
