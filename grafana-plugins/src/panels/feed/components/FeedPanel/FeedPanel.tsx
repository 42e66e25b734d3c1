import React, { useCallback, useMemo, useState } from 'react';
import type { PanelProps } from '@grafana/data';
import { Alert, EmptyState, useStyles2 } from '@grafana/ui';
import { createLookoutApi, type LookoutEvent } from '../../../../api';
import { NodeScopeProvider } from '../../../../hooks/useNodeScope';
import { nodeChoiceLabel, resolveNodeChoice } from '../../../../data/nodeChoice';
import { DecisionDrawer } from '../../../../components/DecisionDrawer';
import { filterBySeverity } from '../../../../data/feed';
import { currentOrgRole, hasRole } from '../../../../data/roles';
import { useEventFeed } from '../../../../hooks/useEventFeed';
import { StreamState } from '../../../../components/StreamState';
import { TEST_IDS } from '../../../../testIds';
import type { FeedOptions } from '../../types';
import { FeedList } from '../FeedList';
import { getStyles, HEADER_HEIGHT } from './FeedPanel.styles';

export function FeedPanel({ options, height, replaceVariables }: PanelProps<FeedOptions>): React.JSX.Element {
  const s = useStyles2(getStyles);
  const [paused, setPaused] = useState(false);
  const [why, setWhy] = useState<{ id: string; node: string | null }>();
  const raw = replaceVariables(options.node ?? '');
  const choice = useMemo(() => resolveNodeChoice(raw), [raw]);
  // One node, several, or all of them: the hub's fleet feed (this sidecar's own when it is not a hub).
  const fleetNodes = useMemo(
    () =>
      choice.kind === 'self'
        ? null
        : choice.kind === 'all'
          ? []
          : choice.kind === 'node'
            ? [choice.node]
            : choice.nodes,
    [choice]
  );
  const [acked, setAcked] = useState<Set<string>>(() => new Set());
  const [ackError, setAckError] = useState<string>();
  const canAck = hasRole(currentOrgRole(), 'Editor');
  const feed = useEventFeed({
    feeds: options.feeds,
    minSeverity: options.minSeverity,
    maxRows: options.maxRows || 5000,
    pollMs: Math.max(1, options.pollSeconds || 5) * 1000,
    paused,
    fleetNodes,
  });
  // The sidecar filters by severity too; filtering again keeps replays and polling consistent.
  const events = useMemo(() => filterBySeverity(feed.events, options.minSeverity), [feed.events, options.minSeverity]);

  // An event of the fleet feed lives on its node: its incident is acknowledged there, through the hub.
  const onAck = useCallback(
    async (id: string, e: LookoutEvent) => {
      setAckError(undefined);
      try {
        await createLookoutApi(fleetNodes ? e.node : null).ackIncident(id, 'Acknowledged from the Lookout feed panel');
        setAcked((cur) => new Set(cur).add(id));
      } catch (err) {
        setAckError(`Ack of ${id} failed: ${(err as Error).message}`);
      }
    },
    [fleetNodes]
  );

  const onShowNew = useCallback(() => {
    setPaused(false);
    feed.flush();
  }, [feed]);

  return (
    <div className={s.root} data-testid={TEST_IDS.feed.root}>
      <div className={s.header}>
        <StreamState mode={feed.mode} pollSeconds={options.pollSeconds} testId={TEST_IDS.feed.mode} />
        <span>
          {nodeChoiceLabel(choice) ? `${nodeChoiceLabel(choice)} · ` : ''}
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
          onWhy={(id, e) => setWhy({ id, node: fleetNodes ? e.node : null })}
          showNode={fleetNodes !== null}
        />
      )}
      {why && (
        <NodeScopeProvider node={why.node}>
          <DecisionDrawer decisionId={why.id} onClose={() => setWhy(undefined)} />
        </NodeScopeProvider>
      )}
    </div>
  );
}
