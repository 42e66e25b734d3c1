import React, { useCallback, useMemo, useState } from 'react';
import type { PanelProps } from '@grafana/data';
import { Alert, EmptyState, useStyles2 } from '@grafana/ui';
import { lookoutApi } from '../../../../api';
import { DecisionDrawer } from '../../../../components/DecisionDrawer';
import { filterBySeverity } from '../../../../data/feed';
import { currentOrgRole, hasRole } from '../../../../data/roles';
import { useEventFeed } from '../../../../hooks/useEventFeed';
import { StreamState } from '../../../../components/StreamState';
import { TEST_IDS } from '../../../../testIds';
import type { FeedOptions } from '../../types';
import { FeedList } from '../FeedList';
import { getStyles, HEADER_HEIGHT } from './FeedPanel.styles';

export function FeedPanel({ options, height }: PanelProps<FeedOptions>): React.JSX.Element {
  const s = useStyles2(getStyles);
  const [paused, setPaused] = useState(false);
  const [why, setWhy] = useState<string>();
  const [acked, setAcked] = useState<Set<string>>(() => new Set());
  const [ackError, setAckError] = useState<string>();
  const canAck = hasRole(currentOrgRole(), 'Editor');
  const feed = useEventFeed({
    feeds: options.feeds,
    minSeverity: options.minSeverity,
    maxRows: options.maxRows || 5000,
    pollMs: Math.max(1, options.pollSeconds || 5) * 1000,
    paused,
  });
  // The sidecar filters by severity too; filtering again keeps replays and polling consistent.
  const events = useMemo(() => filterBySeverity(feed.events, options.minSeverity), [feed.events, options.minSeverity]);

  const onAck = useCallback(async (id: string) => {
    setAckError(undefined);
    try {
      await lookoutApi.ackIncident(id, 'Acknowledged from the Lookout feed panel');
      setAcked((cur) => new Set(cur).add(id));
    } catch (e) {
      setAckError(`Ack of ${id} failed: ${(e as Error).message}`);
    }
  }, []);

  const onShowNew = useCallback(() => {
    setPaused(false);
    feed.flush();
  }, [feed]);

  return (
    <div className={s.root} data-testid={TEST_IDS.feed.root}>
      <div className={s.header}>
        <StreamState mode={feed.mode} pollSeconds={options.pollSeconds} testId={TEST_IDS.feed.mode} />
        <span>
          {options.feeds.join(', ')} · ≥ {options.minSeverity} · {events.length} events{paused ? ' · paused' : ''}
        </span>
      </div>
      {(feed.error || ackError) && (
        <Alert severity={ackError ? 'error' : 'warning'} title={ackError ? 'Ack failed' : 'Feed problem'}>
          {ackError ?? feed.error}
        </Alert>
      )}
      {events.length === 0 && feed.mode !== 'connecting' && !feed.error ? (
        <EmptyState variant="completed" message="No events yet" hideImage>
          Events at or above {options.minSeverity} will appear here as they happen.
        </EmptyState>
      ) : (
        <FeedList
          events={events}
          height={Math.max(40, height - HEADER_HEIGHT)}
          pending={feed.pending}
          onPausedChange={setPaused}
          onShowNew={onShowNew}
          canAck={canAck}
          ackDisabledReason="Acknowledging incidents requires the Editor role"
          acked={acked}
          onAck={onAck}
          onWhy={setWhy}
        />
      )}
      {why && <DecisionDrawer decisionId={why} onClose={() => setWhy(undefined)} />}
    </div>
  );
}
