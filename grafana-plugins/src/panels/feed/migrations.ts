import type { PanelModel } from '@grafana/data';
import { FEEDS, SEVERITIES, type FeedName, type Severity } from '../../api';
import { DEFAULT_FEED_OPTIONS, type FeedOptions } from './types';

/**
 * 0.0.x (preview): a single `feed` string instead of the `feeds` list, and `severity` instead of `minSeverity`
 * (with "warn" as an alias of "warning"). Unknown feed names are dropped rather than sent to the sidecar.
 */
export function migrateFeedOptions(panel: PanelModel<FeedOptions>): FeedOptions {
  const o: Record<string, unknown> = { ...((panel.options ?? {}) as unknown as Record<string, unknown>) };
  if (typeof o.feed === 'string' && o.feeds === undefined) {
    o.feeds = [o.feed];
  }
  delete o.feed;
  if (typeof o.severity === 'string' && o.minSeverity === undefined) {
    o.minSeverity = o.severity === 'warn' ? 'warning' : o.severity;
  }
  delete o.severity;
  const out = { ...DEFAULT_FEED_OPTIONS, ...(o as Partial<FeedOptions>) };
  out.feeds = (Array.isArray(out.feeds) ? out.feeds : []).filter((f): f is FeedName =>
    (FEEDS as readonly string[]).includes(f)
  );
  if (out.feeds.length === 0) {
    out.feeds = DEFAULT_FEED_OPTIONS.feeds;
  }
  if (!SEVERITIES.includes(out.minSeverity as Severity)) {
    out.minSeverity = DEFAULT_FEED_OPTIONS.minSeverity;
  }
  return out;
}
