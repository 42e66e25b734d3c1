import React, { useEffect, useState } from 'react';
import type { PanelProps } from '@grafana/data';
import { Alert, EmptyState, LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import { lookoutApi, type Generation } from '../../../../api';
import { GenerationDetails } from '../../../../components/GenerationDetails';
import { LineageGraph } from '../../../../components/LineageGraph';
import { StreamState } from '../../../../components/StreamState';
import { useEventFeed } from '../../../../hooks/useEventFeed';
import { timeAgo } from '../../../../data/format';
import { useAsync } from '../../../../hooks/useAsync';
import { TEST_IDS } from '../../../../testIds';
import type { LineageOptions } from '../../types';
import { getStyles, SUMMARY_HEIGHT } from './LineagePanel.styles';

export function LineagePanel({ options, width, height }: PanelProps<LineageOptions>): React.JSX.Element {
  const s = useStyles2(getStyles);
  const pollSeconds = Math.max(2, options.refreshSeconds || 15);
  const lineage = useAsync(() => lookoutApi.lineage(), []);
  // Lineage changes (a new generation, a status or pointer change) arrive on the stream, filtered by the sidecar;
  // while the stream is down the hook polls the feed for them instead. Each one reloads the lineage in place.
  const live = useEventFeed({
    feeds: ['activity'],
    kinds: ['lineage.*'],
    minSeverity: 'debug',
    maxRows: 1,
    backfill: 1,
    pollMs: pollSeconds * 1000,
    paused: false,
  });
  const { reload } = lineage;
  useEffect(() => {
    if (live.changes > 0) {
      reload();
    }
  }, [live.changes, reload]);
  // The selection is an id: it follows the generation through updates (and ends if it disappears).
  const [selectedId, setSelectedId] = useState<string>();
  const selected: Generation | undefined = lineage.value?.generations.find((g) => g.id === selectedId);

  if (lineage.error && !lineage.value) {
    return (
      <Alert severity="error" title="Cannot load lineage">
        {lineage.error.message}
      </Alert>
    );
  }
  if (!lineage.value) {
    return <LoadingPlaceholder text="Loading lineage…" />;
  }
  const l = lineage.value;
  if (l.generations.length === 0) {
    return (
      <EmptyState variant="not-found" message="No generations yet" hideImage>
        The sidecar has not seen a lineage index for {l.model || 'this model'}.
      </EmptyState>
    );
  }
  const graphHeight = Math.max(50, height - SUMMARY_HEIGHT);
  return (
    <div className={s.root} data-testid={TEST_IDS.lineage.root}>
      <div className={s.summary} aria-label="Lineage summary">
        <StreamState mode={live.mode} pollSeconds={pollSeconds} testId={TEST_IDS.lineage.stream} />
        {options.showSummary && (
          <>
            <span>
              model <strong>{l.model}</strong>
            </span>
            <span>
              <strong>{l.generations.length}</strong> generations
            </span>
            <span>
              active <strong>{l.active ?? '—'}</strong>
            </span>
            <span>
              canary <strong>{l.canary ?? '—'}</strong>
            </span>
            <span>updated {timeAgo(l.updated_at)}</span>
          </>
        )}
      </div>
      <LineageGraph
        generations={l.generations}
        width={width}
        height={graphHeight}
        selectedId={selectedId}
        onSelect={(g) => setSelectedId(g.id)}
      />
      {selected && <GenerationDetails generation={selected} onClose={() => setSelectedId(undefined)} />}
    </div>
  );
}
