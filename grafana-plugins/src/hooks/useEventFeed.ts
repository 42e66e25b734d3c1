import { useCallback, useEffect, useRef, useState } from 'react';
import { lookoutApi, type FeedName, type LookoutEvent, type Severity } from '../api';
import { mergeEvents, parseEventData } from '../data/feed';

export type FeedMode = 'connecting' | 'live' | 'polling' | 'error';

export interface EventFeedOptions {
  feeds: FeedName[];
  minSeverity: Severity;
  maxRows: number;
  pollMs: number;
  /** Events received while paused are held back and counted, so the list does not move under the reader. */
  paused: boolean;
  /** Set false to skip SSE entirely (e.g. where EventSource is unavailable). */
  useSse?: boolean;
  /** Only these kinds (`lineage.updated`) or families (`lineage.*`), filtered by the sidecar on the stream and the feeds. */
  kinds?: string[];
  /** How many recent events the backfill reads first (default 200; a panel that only wants news asks for 1). */
  backfill?: number;
}

export interface EventFeedState {
  events: LookoutEvent[];
  /**
   * How many times events newer than any seen before arrived after the backfill (live or by polling): a panel that
   * only needs to know that something changed (lineage, gallery) reloads when it moves.
   */
  changes: number;
  pending: number;
  mode: FeedMode;
  error?: string;
  flush: () => void;
}

/**
 * Live events: first a backfill from `GET feeds/<feed>`, then SSE (`event: lookout`, id = event id) through the
 * plugin proxy. If the stream cannot be opened or drops repeatedly, fall back to polling each feed for newer events.
 */
export function useEventFeed(o: EventFeedOptions): EventFeedState {
  const [events, setEvents] = useState<LookoutEvent[]>([]);
  const [mode, setMode] = useState<FeedMode>('connecting');
  const [error, setError] = useState<string>();
  const held = useRef<LookoutEvent[]>([]);
  const [pending, setPending] = useState(0);
  const [changes, setChanges] = useState(0);
  /** The newest event id seen since the subscription started; null until the backfill is in. */
  const newestId = useRef<string | null>(null);
  const pausedRef = useRef(o.paused);
  const feedsKey = o.feeds.join(',');
  const kindsKey = (o.kinds ?? []).join(',');

  const push = useCallback(
    (incoming: LookoutEvent[]) => {
      if (incoming.length === 0) {
        return;
      }
      if (pausedRef.current) {
        held.current = mergeEvents(held.current, incoming, o.maxRows);
        setPending(held.current.length);
        return;
      }
      setEvents((cur) => mergeEvents(cur, incoming, o.maxRows));
    },
    [o.maxRows]
  );

  const flush = useCallback(() => {
    const h = held.current;
    held.current = [];
    setPending(0);
    setEvents((cur) => mergeEvents(cur, h, o.maxRows));
  }, [o.maxRows]);

  useEffect(() => {
    pausedRef.current = o.paused;
    if (!o.paused) {
      // eslint-disable-next-line react-hooks/set-state-in-effect -- releasing held events when the reader scrolls back up
      flush();
    }
  }, [o.paused, flush]);

  useEffect(() => {
    const feeds = o.feeds.length ? o.feeds : (['all'] as FeedName[]);
    let stopped = false;
    let es: EventSource | undefined;
    let pollTimer: ReturnType<typeof setTimeout> | undefined;
    // Feeds are newest first and their cursor pages back in time, so polling asks for what is new since the newest
    // event seen (inclusive; merging drops the overlap by id).
    let newestTs: string | undefined;
    // eslint-disable-next-line react-hooks/set-state-in-effect -- a new subscription starts from an empty list
    setEvents([]);
    held.current = [];
    setPending(0);
    newestId.current = null;
    setMode('connecting');
    setError(undefined);

    /** Counts a change when events newer than any seen arrive after the backfill (ULIDs sort by time). */
    const noteArrivals = (incoming: LookoutEvent[], backfill: boolean): void => {
      let newest = newestId.current ?? '';
      for (const e of incoming) {
        if (e.id > newest) {
          newest = e.id;
        }
      }
      const grew = newestId.current !== null && newest > newestId.current;
      newestId.current = newest;
      if (grew && !backfill) {
        setChanges((c) => c + 1);
      }
    };

    const fetchFeeds = async (backfill = false): Promise<void> => {
      const pages = await Promise.all(
        feeds.map(async (f) => {
          const page = await lookoutApi.feed(f, {
            limit: newestTs ? 200 : (o.backfill ?? 200),
            since: newestTs,
            kind: kindsKey || undefined,
            severity: o.minSeverity === 'debug' ? undefined : o.minSeverity,
          });
          return page.items;
        })
      );
      const all = pages.flat();
      for (const e of all) {
        if (!newestTs || e.ts > newestTs) {
          newestTs = e.ts;
        }
      }
      if (!stopped) {
        noteArrivals(all, backfill);
        push(all);
      }
    };

    const poll = (): void => {
      if (stopped) {
        return;
      }
      setMode('polling');
      fetchFeeds().then(
        () => !stopped && setError(undefined),
        (e: Error) => !stopped && setError(e.message)
      );
      pollTimer = setTimeout(poll, o.pollMs);
    };

    const startSse = (): void => {
      if (o.useSse === false || typeof EventSource === 'undefined') {
        poll();
        return;
      }
      let failures = 0;
      es = new EventSource(
        lookoutApi.streamUrl(
          feeds,
          o.minSeverity === 'debug' ? undefined : o.minSeverity,
          kindsKey ? kindsKey.split(',') : undefined
        )
      );
      es.onopen = () => {
        failures = 0;
        setMode('live');
        setError(undefined);
      };
      es.addEventListener('lookout', (m: MessageEvent<string>) => {
        const e = parseEventData(m.data);
        if (e) {
          noteArrivals([e], false);
          push([e]);
        }
      });
      es.onerror = () => {
        failures += 1;
        // EventSource retries by itself (resuming with Last-Event-ID); give up after a few failures or a hard close.
        if (es && (es.readyState === EventSource.CLOSED || failures >= 3)) {
          es.close();
          es = undefined;
          poll();
        } else {
          setMode('connecting');
        }
      };
    };

    fetchFeeds(true).then(
      () => !stopped && startSse(),
      (e: Error) => {
        if (!stopped) {
          setError(e.message);
          setMode('error');
          pollTimer = setTimeout(poll, o.pollMs);
        }
      }
    );
    return () => {
      stopped = true;
      es?.close();
      if (pollTimer) {
        clearTimeout(pollTimer);
      }
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- feedsKey and kindsKey stand for o.feeds and o.kinds
  }, [feedsKey, kindsKey, o.backfill, o.minSeverity, o.pollMs, o.useSse, push]);

  return { events, changes, pending, mode, error, flush };
}
