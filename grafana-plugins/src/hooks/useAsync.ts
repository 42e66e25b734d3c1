import { DependencyList, useCallback, useEffect, useRef, useState } from 'react';

export interface AsyncState<T> {
  loading: boolean;
  error?: Error;
  value?: T;
  reload: () => void;
}

/**
 * Runs `fn` when `deps` change (and on `reload`), keeping the last value while a reload is in flight and ignoring
 * results that arrive after a newer call started or after unmount.
 */
export function useAsync<T>(
  fn: () => Promise<T>,
  deps: DependencyList,
  opts: { intervalMs?: number } = {}
): AsyncState<T> {
  const [state, setState] = useState<{ loading: boolean; error?: Error; value?: T }>({ loading: true });
  const [tick, setTick] = useState(0);
  const call = useRef(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    const id = ++call.current;
    // eslint-disable-next-line react-hooks/set-state-in-effect -- the flag mirrors the request started here
    setState((s) => ({ ...s, loading: true }));
    fn().then(
      (value) => id === call.current && setState({ loading: false, value }),
      (error: unknown) =>
        id === call.current &&
        setState((s) => ({
          loading: false,
          value: s.value,
          error: error instanceof Error ? error : new Error(String(error)),
        }))
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps -- callers pass the deps of fn
  }, [...deps, tick]);

  useEffect(() => {
    if (!opts.intervalMs) {
      return undefined;
    }
    const h = setInterval(reload, opts.intervalMs);
    return () => clearInterval(h);
  }, [opts.intervalMs, reload]);

  useEffect(() => () => void (call.current = -1), []);

  return { ...state, reload };
}
