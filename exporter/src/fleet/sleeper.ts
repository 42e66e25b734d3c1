/** A backoff wait that `wake()` ends at once (a part stopping must not wait out a retry delay). */
export class Sleeper {
  private waiting = new Set<() => void>();

  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiting.add(done);
    });
  }

  wake(): void {
    for (const w of [...this.waiting]) w();
  }
}

/** 100 ms doubling per failure, at most 5 s. */
export const backoffMs = (failures: number): number => Math.min(5000, 100 * 2 ** Math.min(failures, 6));
