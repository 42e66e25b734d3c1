import React from 'react';
import { Badge, type BadgeColor, type IconName } from '@grafana/ui';
import type { FeedMode } from '../../hooks/useEventFeed';

export interface StreamStateProps {
  mode: FeedMode;
  /** The polling interval used while the stream is down. */
  pollSeconds: number;
  testId: string;
}

const LOOK: Record<FeedMode, { color: BadgeColor; icon: IconName }> = {
  live: { color: 'green', icon: 'rss' },
  polling: { color: 'blue', icon: 'sync' },
  connecting: { color: 'darkgrey', icon: 'exclamation-triangle' },
  error: { color: 'red', icon: 'exclamation-triangle' },
};

const WHY: Record<FeedMode, (s: number) => string> = {
  live: () => 'Live: the sidecar pushes changes as they happen',
  polling: (s) => `The live stream is unavailable: checking for changes every ${s} s`,
  connecting: () => 'Connecting to the live stream…',
  error: (s) => `The sidecar cannot be reached: retrying every ${s} s`,
};

/** How a panel follows the sidecar: live over the stream, or polling while the stream is down. */
export function StreamState({ mode, pollSeconds, testId }: StreamStateProps): React.JSX.Element {
  return (
    <span data-testid={testId} data-mode={mode} title={WHY[mode](pollSeconds)}>
      <Badge text={mode} color={LOOK[mode].color} icon={LOOK[mode].icon} tooltip={WHY[mode](pollSeconds)} />
    </span>
  );
}
