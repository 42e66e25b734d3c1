import React, { useCallback, useRef, useState } from 'react';
import { Badge, Button, useStyles2, useTheme2 } from '@grafana/ui';
import type { LookoutEvent } from '../../../../api';
import { decisionIdOf, diagnosticIdOf, incidentIdOf, isShadow } from '../../../../data/feed';
import { diagnosticUrl } from '../../../../constants';
import { severityColor } from '../../../../data/severity';
import { TEST_IDS } from '../../../../testIds';
import { getStyles, ROW_HEIGHT } from './FeedList.styles';

export interface FeedListProps {
  events: LookoutEvent[];
  height: number;
  pending: number;
  onPausedChange: (paused: boolean) => void;
  onShowNew: () => void;
  canAck: boolean;
  ackDisabledReason?: string;
  acked: Set<string>;
  onAck: (incidentId: string, event: LookoutEvent) => void;
  onWhy: (decisionId: string, event: LookoutEvent) => void;
  /** Show each event's node (a feed of several nodes). */
  showNode?: boolean;
}

const OVERSCAN = 8;

/** Windowed list: only rows in view (plus overscan) are in the DOM, so 10,000 events scroll like 50. */
export function FeedList(p: FeedListProps): React.JSX.Element {
  const s = useStyles2(getStyles);
  const theme = useTheme2();
  const [scrollTop, setScrollTop] = useState(0);
  const ref = useRef<HTMLDivElement>(null);
  const paused = useRef(false);
  const { onPausedChange } = p;

  const onScroll = useCallback(
    (e: React.UIEvent<HTMLDivElement>) => {
      const top = e.currentTarget.scrollTop;
      setScrollTop(top);
      // Reading older rows pauses the feed; back at the top it resumes.
      const nowPaused = top > ROW_HEIGHT / 2;
      if (nowPaused !== paused.current) {
        paused.current = nowPaused;
        onPausedChange(nowPaused);
      }
    },
    [onPausedChange]
  );

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(p.events.length, Math.ceil((scrollTop + p.height) / ROW_HEIGHT) + OVERSCAN);
  const rows = p.events.slice(first, last);

  return (
    <div className={s.wrap}>
      {p.pending > 0 && (
        <div className={s.newMarker}>
          <Button
            size="sm"
            icon="arrow-up"
            data-testid={TEST_IDS.feed.newMarker}
            onClick={() => {
              if (ref.current) {
                ref.current.scrollTop = 0;
              }
              setScrollTop(0);
              paused.current = false;
              p.onShowNew();
            }}
          >
            {p.pending} new
          </Button>
        </div>
      )}
      <div
        ref={ref}
        className={s.scroller}
        style={{ height: p.height }}
        onScroll={onScroll}
        role="log"
        aria-label="Events"
        data-testid={TEST_IDS.feed.list}
      >
        <div style={{ height: p.events.length * ROW_HEIGHT, position: 'relative' }} role="list">
          {rows.map((e, i) => (
            <FeedRow
              key={e.id}
              event={e}
              top={(first + i) * ROW_HEIGHT}
              className={s.row}
              styles={s}
              color={severityColor(theme, e.severity)}
              canAck={p.canAck}
              ackDisabledReason={p.ackDisabledReason}
              acked={incidentIdOf(e) ? p.acked.has(incidentIdOf(e)!) : false}
              onAck={p.onAck}
              onWhy={p.onWhy}
              showNode={p.showNode}
            />
          ))}
        </div>
      </div>
    </div>
  );
}

interface FeedRowProps {
  event: LookoutEvent;
  top: number;
  className: string;
  styles: ReturnType<typeof getStyles>;
  color: string;
  canAck: boolean;
  ackDisabledReason?: string;
  acked: boolean;
  onAck: (incidentId: string, event: LookoutEvent) => void;
  onWhy: (decisionId: string, event: LookoutEvent) => void;
  showNode?: boolean;
}

/** One row; memoized so scrolling only mounts rows entering the window and moves the others. */
const FeedRow = React.memo(function FeedRow({
  event: e,
  top,
  className,
  styles: s,
  color,
  canAck,
  ackDisabledReason,
  acked,
  onAck,
  onWhy,
  showNode,
}: FeedRowProps) {
  const incident = incidentIdOf(e);
  const decision = decisionIdOf(e);
  const diagnostic = diagnosticIdOf(e);
  return (
    <div role="listitem" className={className} style={{ top }} data-testid={TEST_IDS.feed.row(e.id)} data-kind={e.kind}>
      <span className={s.ts} title={e.ts}>
        {e.ts.slice(11, 19)}
      </span>
      <span style={{ color }}>{e.severity}</span>
      <span className={s.source}>{e.source}</span>
      <span className={s.kind}>
        {e.kind}
        {isShadow(e) && (
          <span data-testid={TEST_IDS.shadow.badge} title="A shadow rule: recorded, never acted on">
            {' '}
            <Badge text="shadow" color="blue" />
          </span>
        )}
      </span>
      <span title={e.subject ?? ''}>
        {showNode ? `${e.node} · ` : ''}
        {e.subject}
        {e.actor ? ` · by ${e.actor}` : ''}
      </span>
      <span className={s.actions}>
        {diagnostic && (
          // A plain link: Grafana routes in-app hrefs itself, and a panel has no router of the app's own.
          <a className={s.link} href={diagnosticUrl(diagnostic)} title={`Open diagnostic ${diagnostic}`}>
            {diagnostic}
          </a>
        )}
        {incident && e.kind === 'incident.opened' && (
          <Button
            size="sm"
            variant="secondary"
            disabled={!canAck || acked}
            title={!canAck ? ackDisabledReason : undefined}
            onClick={() => onAck(incident, e)}
          >
            {acked ? 'Acked' : 'Ack'}
          </Button>
        )}
        {decision && (
          <Button size="sm" variant="secondary" fill="text" icon="question-circle" onClick={() => onWhy(decision, e)}>
            Why
          </Button>
        )}
      </span>
    </div>
  );
});
