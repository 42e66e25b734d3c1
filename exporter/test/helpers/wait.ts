/**
 * Polls until `fn` returns a truthy value (or stops throwing) and returns it; fails with the last
 * error or value after `timeoutMs`. Tests wait for conditions, never for durations.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  timeoutMs = 10_000,
  intervalMs = 20
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`waitFor: condition not met within ${timeoutMs} ms (last: ${why})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
