import React, { useState } from 'react';
import { AppLink } from '../../components/AppLink';
import { PluginPage } from '@grafana/runtime';
import { Alert, Badge, Button, EmptyState, LoadingPlaceholder, RadioButtonGroup, useStyles2 } from '@grafana/ui';
import { type Incident, type LookoutEvent } from '../../api';
import { isShadow } from '../../data/feed';
import { useLookoutApi } from '../../hooks/useNodeScope';
import { NoteModal } from '../../components/NoteModal';
import { diagnosticUrl } from '../../constants';
import { formatValue, timeAgo } from '../../data/format';
import { currentOrgRole, hasRole } from '../../data/roles';
import { useAsync } from '../../hooks/useAsync';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './Incidents.styles';

const FILTERS = [
  { label: 'Open', value: 'open' },
  { label: 'Acknowledged', value: 'acknowledged' },
  { label: 'Resolved', value: 'resolved' },
  { label: 'All', value: '' },
];

export function Incidents(): React.JSX.Element {
  const lookoutApi = useLookoutApi();
  const s = useStyles2(getStyles);
  const [filter, setFilter] = useState('open');
  const list = useAsync(() => lookoutApi.incidents(filter || undefined), [filter], { intervalMs: 15_000 });
  const [pending, setPending] = useState<{ incident: Incident; to: 'ack' | 'resolve' }>();
  const canAct = hasRole(currentOrgRole(), 'Editor');
  const why = canAct ? undefined : 'Requires the Editor role';
  const shadow = useAsync(() => lookoutApi.feed('guardian', { kind: 'rule.fired', limit: 50 }), [], {
    intervalMs: 15_000,
  });
  const shadowDecisions = (shadow.value?.items ?? []).filter(isShadow);

  return (
    <PluginPage>
      <div data-testid={TEST_IDS.pages.incidents}>
        <div className={s.toolbar}>
          <RadioButtonGroup options={FILTERS} value={filter} onChange={setFilter} />
        </div>
        {list.error && (
          <Alert severity="error" title="Cannot load incidents">
            {list.error.message}
          </Alert>
        )}
        {!list.value && !list.error && <LoadingPlaceholder text="Loading incidents…" />}
        {list.value && list.value.items.length === 0 && (
          <EmptyState variant="completed" message="No incidents here" hideImage />
        )}
        {list.value && list.value.items.length > 0 && (
          <table className={s.table} aria-label="Incidents">
            <thead>
              <tr>
                <th>Severity</th>
                <th>Title</th>
                <th>Status</th>
                <th>Opened</th>
                <th>Handled by</th>
                <th>Diagnostic</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.value.items.map((i) => (
                <tr key={i.id}>
                  <td>
                    <Badge
                      text={i.severity}
                      color={i.severity === 'critical' ? 'red' : i.severity === 'warning' ? 'orange' : 'blue'}
                    />
                  </td>
                  <td>
                    {i.title}
                    <div className={s.muted}>{i.rule}</div>
                  </td>
                  <td>{i.status}</td>
                  <td>{timeAgo(i.opened_at)}</td>
                  <td>
                    <Handling who={i.acknowledged_by} when={i.acknowledged_at} note={i.ack_note} verb="Acknowledged" />
                    <Handling who={i.resolved_by} when={i.resolved_at} note={i.resolve_note} verb="Resolved" />
                  </td>
                  <td>
                    {i.diagnostic_id ? (
                      <AppLink className={s.link} to={diagnosticUrl(i.diagnostic_id)}>
                        {i.diagnostic_id}
                      </AppLink>
                    ) : (
                      <span className={s.muted}>—</span>
                    )}
                  </td>
                  <td>
                    {i.status === 'open' && (
                      <Button
                        size="sm"
                        variant="secondary"
                        disabled={!canAct}
                        title={why}
                        onClick={() => setPending({ incident: i, to: 'ack' })}
                      >
                        Acknowledge
                      </Button>
                    )}{' '}
                    {i.status !== 'resolved' && (
                      <Button
                        size="sm"
                        disabled={!canAct}
                        title={why}
                        onClick={() => setPending({ incident: i, to: 'resolve' })}
                      >
                        Resolve
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <ShadowDecisions events={shadowDecisions} />
        {pending && (
          <NoteModal
            title={`${pending.to === 'ack' ? 'Acknowledge' : 'Resolve'}: ${pending.incident.title}`}
            confirmText={pending.to === 'ack' ? 'Acknowledge' : 'Resolve'}
            required={pending.to === 'resolve'}
            onConfirm={async (note) => {
              if (pending.to === 'ack') {
                await lookoutApi.ackIncident(pending.incident.id, note);
              } else {
                await lookoutApi.resolveIncident(pending.incident.id, note);
              }
              list.reload();
            }}
            onDismiss={() => setPending(undefined)}
          />
        )}
      </div>
    </PluginPage>
  );
}

/**
 * What shadow rules decided: they are judged like live ones and record the same provenance, but open no incident and
 * run nothing; this is where their would-be incidents show.
 */
function ShadowDecisions({ events }: { events: LookoutEvent[] }): React.JSX.Element {
  const s = useStyles2(getStyles);
  return (
    <section className={s.section} aria-label="Shadow decisions" data-testid={TEST_IDS.shadow.decisions}>
      <h3 className={s.heading}>
        Shadow decisions <Badge text="shadow" color="blue" />
      </h3>
      {events.length === 0 ? (
        <p className={s.muted}>No shadow rule has fired recently.</p>
      ) : (
        <table className={s.table} aria-label="Shadow decisions">
          <thead>
            <tr>
              <th>Rule</th>
              <th>Decided</th>
              <th>Value</th>
              <th>Would have run</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => {
              const observed = (e.data.observed ?? {}) as Record<string, unknown>;
              const steps = Array.isArray(e.data.would_run) ? (e.data.would_run as Array<Record<string, unknown>>) : [];
              return (
                <tr key={e.id}>
                  <td>
                    {String(e.data.title ?? e.subject)}
                    <div className={s.muted}>{e.subject}</div>
                  </td>
                  <td title={e.ts}>{timeAgo(e.ts)}</td>
                  <td>{formatValue(observed.value)}</td>
                  <td>{steps.map((st) => String(st.do)).join(' → ') || '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Who acknowledged (or resolved) an incident, when, and their note, as the sidecar records it. */
function Handling(p: {
  verb: string;
  who: string | null;
  when: string | null;
  note: string | null;
}): React.JSX.Element | null {
  const s = useStyles2(getStyles);
  if (!p.who && !p.when) {
    return null;
  }
  return (
    <div>
      {p.verb} by {p.who ?? 'unknown'}
      {p.when && <span className={s.muted}> {timeAgo(p.when)}</span>}
      {p.note && <div className={s.muted}>“{p.note}”</div>}
    </div>
  );
}

export default Incidents;
