import React, { useState } from 'react';
import { PluginPage } from '@grafana/runtime';
import { Alert, Badge, type BadgeColor, Button, EmptyState, LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import { fleetApi, type FleetAction, type FleetNode, LookoutApiError } from '../../api';
import { AppLink } from '../../components/AppLink';
import { FleetActionFlow } from '../../components/FleetActionFlow';
import { PLUGIN_BASE_URL, ROUTES } from '../../constants';
import { stateCounts } from '../../data/fleet';
import { timeAgo } from '../../data/format';
import { currentOrgRole, roleAvailability } from '../../data/roles';
import { useAsync } from '../../hooks/useAsync';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './Fleet.styles';

const STATE_COLOR: Record<FleetNode['state'], BadgeColor> = {
  up: 'green',
  stale: 'orange',
  gone: 'red',
  stopped: 'darkgrey',
};

/** The pages a node can be opened on, through the hub. */
const DRILL_DOWN = [
  { route: ROUTES.Overview, label: 'Overview' },
  { route: ROUTES.Incidents, label: 'Incidents' },
  { route: ROUTES.Lineage, label: 'Lineage' },
  { route: ROUTES.Agents, label: 'Agents' },
] as const;

/** `/a/lookout-ops-app/<page>?node=<node>`: one of the app's pages, reading that node through the hub. */
export function nodePageUrl(route: string, node: string): string {
  return `${PLUGIN_BASE_URL}/${route}?node=${encodeURIComponent(node)}`;
}

function reportText(n: FleetNode): string {
  if (!n.fleet_kill) {
    return '—';
  }
  return `${n.fleet_kill.status} (revision ${n.fleet_kill.revision})${n.fleet_kill.error ? `: ${n.fleet_kill.error}` : ''}`;
}

/**
 * The fleet, from its hub: every node with its state, version, labels, kill switch, what it did with the fleet kill
 * state, outbox backlog and last event; fleet kill and release; a drill-down into each node's own pages.
 */
export function Fleet(): React.JSX.Element {
  const s = useStyles2(getStyles);
  const role = currentOrgRole();
  const [open, setOpen] = useState<FleetAction>();
  const fleet = useAsync(() => fleetApi.fleet(), [], { intervalMs: 5000 });
  const notHub =
    fleet.error instanceof LookoutApiError && ['fleet_not_enabled', 'not_fleet_hub'].includes(fleet.error.code);
  const f = fleet.value;
  const counts = f ? stateCounts(f) : null;
  const killState = f?.kill.state;
  return (
    <PluginPage>
      <div data-testid={TEST_IDS.fleet.page}>
        {notHub && (
          <EmptyState variant="not-found" message="This sidecar is not a fleet hub">
            The app talks to a sidecar without <code>fleet.hub</code>: point the app&apos;s sidecar URL at the fleet hub
            to see and stop every node from here ({fleet.error?.message}).
          </EmptyState>
        )}
        {fleet.error && !notHub && (
          <Alert severity="error" title="Cannot load the fleet">
            {fleet.error.message}
          </Alert>
        )}
        {!f && !fleet.error && <LoadingPlaceholder text="Loading the fleet…" />}
        {f && counts && (
          <>
            <section className={s.section} aria-label="Fleet summary">
              <div className={s.stats}>
                <div className={s.stat}>
                  <span>Hub</span>
                  <strong>{f.hub}</strong>
                </div>
                <div className={s.stat}>
                  <span>Nodes up</span>
                  <strong>
                    {counts.up} / {f.nodes.length}
                  </strong>
                </div>
                <div className={s.stat}>
                  <span>Stale · gone</span>
                  <strong>
                    {counts.stale} · {counts.gone}
                  </strong>
                </div>
                <div className={s.stat}>
                  <span>Fleet kill</span>
                  <strong>
                    {!f.kill.readable
                      ? 'unreadable'
                      : killState
                        ? killState.engaged
                          ? 'engaged'
                          : 'released'
                        : 'never used'}
                  </strong>
                </div>
                <div className={s.stat}>
                  <span>Hub backlog</span>
                  <strong>{f.consumer.pending}</strong>
                </div>
              </div>
              {killState && (
                <p className={s.muted}>
                  Revision {f.kill.revision}: {killState.engaged ? 'engaged' : 'released'} by {killState.actor} (
                  {killState.reason}) {timeAgo(killState.updated_at)}
                  {killState.selector ? ` for ${JSON.stringify(killState.selector)}` : ' for every node'}.
                </p>
              )}
              <div className={s.toolbar}>
                {(['kill', 'kill_release'] as const).map((a) => {
                  const ok = roleAvailability(role, a === 'kill' ? 'Editor' : 'Admin');
                  return (
                    <Button
                      key={a}
                      variant="destructive"
                      icon={a === 'kill' ? 'power' : 'play'}
                      data-testid={a === 'kill' ? TEST_IDS.fleet.kill : TEST_IDS.fleet.release}
                      disabled={!ok.enabled}
                      title={ok.reason}
                      onClick={() => setOpen(a)}
                    >
                      {a === 'kill' ? 'Fleet kill' : 'Fleet release'}
                    </Button>
                  );
                })}
              </div>
            </section>
            <section className={s.section} aria-label="Nodes">
              <h3 className={s.heading}>Nodes</h3>
              <table className={s.table} data-testid={TEST_IDS.fleet.nodes}>
                <thead>
                  <tr>
                    <th>Node</th>
                    <th>State</th>
                    <th>Version</th>
                    <th>Labels</th>
                    <th>Kill switch</th>
                    <th>Fleet kill</th>
                    <th>Outbox</th>
                    <th>Last event</th>
                    <th>Open</th>
                  </tr>
                </thead>
                <tbody>
                  {f.nodes.map((n) => (
                    <tr key={n.node} data-testid={TEST_IDS.fleet.node(n.node)}>
                      <td>
                        <AppLink className={s.link} to={nodePageUrl(ROUTES.Overview, n.node)}>
                          {n.node}
                        </AppLink>
                        {n.hub ? ' (hub)' : ''}
                      </td>
                      <td>
                        <Badge text={n.state} color={STATE_COLOR[n.state]} />{' '}
                        <span className={s.muted}>{timeAgo(n.heartbeat_at)}</span>
                      </td>
                      <td>{n.version}</td>
                      <td>
                        {Object.entries(n.labels)
                          .map(([k, v]) => `${k}=${v}`)
                          .join(', ')}
                      </td>
                      <td>
                        {n.kill.engaged ? <Badge text="engaged" color="red" /> : <Badge text="running" color="green" />}
                        {n.kill.engaged && n.kill.actor ? (
                          <span className={s.muted}>
                            {' '}
                            by {n.kill.actor}
                            {n.kill_by_fleet ? ' (fleet)' : ' (held locally)'}
                          </span>
                        ) : null}
                      </td>
                      <td>
                        {n.follow_kill ? reportText(n) : <span className={s.muted}>does not follow</span>}
                        {n.follow_kill && n.selected && !n.converged ? (
                          <span className={s.muted}> · converging</span>
                        ) : null}
                      </td>
                      <td>{n.outbox ? n.outbox.pending : '—'}</td>
                      <td>
                        {n.last_event ? `${n.last_event.kind}, ${timeAgo(n.last_event.ts)}` : '—'}
                        {n.hub_behind ? <span className={s.muted}> (more on the way)</span> : null}
                      </td>
                      <td>
                        {DRILL_DOWN.map((d, i) => (
                          <React.Fragment key={d.route}>
                            {i > 0 && ' · '}
                            <AppLink className={s.link} to={nodePageUrl(d.route, n.node)}>
                              {d.label}
                            </AppLink>
                          </React.Fragment>
                        ))}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {f.nodes.length === 0 && <p className={s.muted}>No node has registered with the fleet yet.</p>}
            </section>
            {f.leases.length > 0 && (
              <section className={s.section} aria-label="Leases">
                <h3 className={s.heading}>Leases</h3>
                <table className={s.table}>
                  <thead>
                    <tr>
                      <th>Lease</th>
                      <th>Holder</th>
                      <th>Valid until</th>
                    </tr>
                  </thead>
                  <tbody>
                    {f.leases.map((l) => (
                      <tr key={l.lease}>
                        <td>{l.lease}</td>
                        <td>{l.holder ?? 'nobody (released)'}</td>
                        <td>{l.valid_until ?? '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </section>
            )}
          </>
        )}
        {open && (
          <FleetActionFlow action={open} onDismiss={() => setOpen(undefined)} onFinished={() => fleet.reload()} />
        )}
      </div>
    </PluginPage>
  );
}
