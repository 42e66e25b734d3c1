import React, { useState } from 'react';
import type { PanelProps } from '@grafana/data';
import { Alert, EmptyState, LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import { type Generation } from '../../../../api';
import { NodeScopeProvider, useLookoutApi } from '../../../../hooks/useNodeScope';
import { resolveNodeChoice, singleNode } from '../../../../data/nodeChoice';
import { GenerationDetails } from '../../../../components/GenerationDetails';
import { LineageGraph } from '../../../../components/LineageGraph';
import { timeAgo } from '../../../../data/format';
import { useAsync } from '../../../../hooks/useAsync';
import { TEST_IDS } from '../../../../testIds';
import type { LineageOptions } from '../../types';
import { getStyles, SUMMARY_HEIGHT } from './LineagePanel.styles';

function LineagePanelBody({ options, width, height }: PanelProps<LineageOptions>): React.JSX.Element {
  const lookoutApi = useLookoutApi();
  const s = useStyles2(getStyles);
  const lineage = useAsync(() => lookoutApi.lineage(), [], {
    intervalMs: Math.max(2, options.refreshSeconds || 15) * 1000,
  });
  const [selected, setSelected] = useState<Generation>();

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
  const graphHeight = Math.max(50, height - (options.showSummary ? SUMMARY_HEIGHT : 0));
  return (
    <div className={s.root} data-testid={TEST_IDS.lineage.root}>
      {options.showSummary && (
        <div className={s.summary} aria-label="Lineage summary">
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
        </div>
      )}
      <LineageGraph
        generations={l.generations}
        width={width}
        height={graphHeight}
        selectedId={selected?.id}
        onSelect={setSelected}
      />
      {selected && <GenerationDetails generation={selected} onClose={() => setSelected(undefined)} />}
    </div>
  );
}

/** The panel, reading the node its `node` option picks (through the hub), or the sidecar the app talks to. */
export function LineagePanel(props: PanelProps<LineageOptions>): React.JSX.Element {
  const node = singleNode(resolveNodeChoice(props.replaceVariables(props.options.node ?? '')));
  return (
    <NodeScopeProvider node={node}>
      <LineagePanelBody {...props} />
    </NodeScopeProvider>
  );
}
