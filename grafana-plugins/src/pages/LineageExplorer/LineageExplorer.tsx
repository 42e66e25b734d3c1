import React, { useState } from 'react';
import { dateTime, type DateTime } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { Alert, Button, DateTimePicker, LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import { type Generation } from '../../api';
import { useLookoutApi } from '../../hooks/useNodeScope';
import { ActionFlow } from '../../components/ActionFlow';
import { GenerationDetails } from '../../components/GenerationDetails';
import { LineageGraph } from '../../components/LineageGraph';
import { actionAvailability, currentOrgRole } from '../../data/roles';
import { useAsync } from '../../hooks/useAsync';
import { useMeasure } from '../../hooks/useMeasure';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './LineageExplorer.styles';

/** "What was serving at T": the lineage as of a time, and a guarded rollback to a chosen generation. */
export function LineageExplorer(): React.JSX.Element {
  const lookoutApi = useLookoutApi();
  const s = useStyles2(getStyles);
  const [at, setAt] = useState<DateTime | undefined>();
  const atIso = at?.toISOString();
  const lineage = useAsync(() => lookoutApi.lineage(atIso), [atIso]);
  const status = useAsync(() => lookoutApi.status(), []);
  const [selected, setSelected] = useState<Generation>();
  const [rollback, setRollback] = useState<string>();
  const [ref, size] = useMeasure<HTMLDivElement>({ width: 900, height: 520 });
  const availability = actionAvailability('rollback', currentOrgRole(), status.value?.kill_switch.engaged);
  const l = lineage.value;

  return (
    <PluginPage>
      <div data-testid={TEST_IDS.pages.lineage}>
        <div className={s.toolbar}>
          <span>Serving at</span>
          <DateTimePicker date={at ?? dateTime()} maxDate={new Date()} onChange={(d) => setAt(d ?? undefined)} />
          <Button variant="secondary" onClick={() => setAt(undefined)} disabled={!at}>
            Now
          </Button>
          {l && (
            <span className={s.serving} role="status">
              {at ? `At ${atIso}` : 'Now'}: active <strong>{l.active ?? '—'}</strong>, canary{' '}
              <strong>{l.canary ?? '—'}</strong>, {l.generations.length} generations
            </span>
          )}
        </div>
        {lineage.error && (
          <Alert severity="error" title="Cannot load lineage">
            {lineage.error.message}
          </Alert>
        )}
        {!l && !lineage.error && <LoadingPlaceholder text="Loading lineage…" />}
        <div ref={ref} className={s.graph}>
          {l && (
            <LineageGraph
              generations={l.generations}
              width={size.width}
              height={size.height}
              selectedId={selected?.id}
              onSelect={setSelected}
            />
          )}
        </div>
        {selected && (
          <GenerationDetails
            generation={selected}
            onClose={() => setSelected(undefined)}
            actions={
              <div>
                <Button
                  variant="destructive"
                  icon="history"
                  disabled={!availability.enabled || selected.id === l?.active}
                  onClick={() => setRollback(selected.id)}
                >
                  Roll back to {selected.id}
                </Button>
                {(availability.reason || selected.id === l?.active) && (
                  <div className={s.muted}>{availability.reason ?? 'This generation is already active'}</div>
                )}
              </div>
            }
          />
        )}
        {rollback && (
          <ActionFlow
            action="rollback"
            params={{ target: rollback }}
            onDismiss={() => setRollback(undefined)}
            onFinished={() => {
              lineage.reload();
              status.reload();
            }}
          />
        )}
      </div>
    </PluginPage>
  );
}

export default LineageExplorer;
