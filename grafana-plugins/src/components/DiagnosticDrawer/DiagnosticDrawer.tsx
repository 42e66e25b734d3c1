import React, { useState } from 'react';
import { Alert, Badge, Button, Drawer, LoadingPlaceholder, Tag, TextLink, useStyles2 } from '@grafana/ui';
import { type Diagnostic, diagnosticsApi, type InvalidTransitionDetails } from '../../api';
import {
  describeInvalidTransition,
  formatSeconds,
  severityBadgeColor,
  statusColor,
  statusLabel,
} from '../../data/diagnostics';
import { timeAgo } from '../../data/format';
import { currentOrgRole, roleAvailability } from '../../data/roles';
import { useAsync } from '../../hooks/useAsync';
import { TEST_IDS } from '../../testIds';
import { DiagnosticAssign } from '../DiagnosticAssign';
import { DiagnosticComments } from '../DiagnosticComments';
import { DiagnosticFormModal } from '../DiagnosticFormModal';
import { DiagnosticHistory } from '../DiagnosticHistory';
import { DiagnosticTransitions } from '../DiagnosticTransitions';
import { getStyles } from './DiagnosticDrawer.styles';

export interface DiagnosticDrawerProps {
  diagnosticId: string;
  onClose: () => void;
  /** A write changed the diagnostic (the list and analytics refresh). */
  onChanged?: (updated: Diagnostic) => void;
}

/** `D-42` and `42` name the same diagnostic (the sidecar accepts both). */
const sameId = (a: string, b: string): boolean => a.replace(/^D-/, '') === b.replace(/^D-/, '');

const when = (iso: string | null): string => (iso ? `${iso.replace('T', ' ').slice(0, 16)} (${timeAgo(iso)})` : '—');

/** A diagnostic's fields, status moves, assignment, edit, linked incidents, comments and history. */
export function DiagnosticDrawer({ diagnosticId, onClose, onChanged }: DiagnosticDrawerProps): React.JSX.Element {
  const s = useStyles2(getStyles);
  const detail = useAsync(() => diagnosticsApi.get(diagnosticId), [diagnosticId]);
  const [conflict, setConflict] = useState<InvalidTransitionDetails>();
  const [editing, setEditing] = useState(false);
  const write = roleAvailability(currentOrgRole(), 'Editor');
  // A reload keeps the last value; never show the previous diagnostic's while another one loads.
  const d = detail.value && sameId(detail.value.id, diagnosticId) ? detail.value : undefined;

  const changed = (updated: Diagnostic): void => {
    setConflict(undefined);
    detail.reload();
    onChanged?.(updated);
  };

  return (
    <Drawer
      title={d ? `${d.id} · ${d.title}` : diagnosticId}
      subtitle={d ? `Opened ${when(d.created_at)} by ${d.created_by}` : undefined}
      onClose={onClose}
      size="lg"
    >
      <div data-testid={TEST_IDS.diagnostics.drawer}>
        {!d && !detail.error && <LoadingPlaceholder text="Loading diagnostic…" />}
        {detail.error && (
          <Alert severity="error" title={`Cannot load ${diagnosticId}`}>
            {detail.error.message}
          </Alert>
        )}
        {d && (
          <>
            {conflict && (
              <Alert
                severity="warning"
                title="The status changed before your move"
                data-testid={TEST_IDS.diagnostics.conflict}
                onRemove={() => setConflict(undefined)}
              >
                {describeInvalidTransition(conflict)} The buttons now show the current moves.
              </Alert>
            )}
            <div className={s.toolbar}>
              <div className={s.badges}>
                <Badge text={d.severity} color={severityBadgeColor(d.severity)} />
                <span data-testid={TEST_IDS.diagnostics.status}>
                  <Badge text={statusLabel(d.status)} color={statusColor(d.status)} />
                </span>
                {d.overdue && <Badge text="overdue" color="red" icon="exclamation-triangle" />}
              </div>
              <DiagnosticTransitions
                diagnostic={d}
                write={write}
                onChanged={changed}
                onConflict={(c) => {
                  setConflict(c);
                  detail.reload();
                }}
              />
              <Button
                size="sm"
                variant="secondary"
                icon="edit"
                disabled={!write.enabled}
                tooltip={write.enabled ? undefined : write.reason}
                data-testid={TEST_IDS.diagnostics.edit}
                onClick={() => setEditing(true)}
              >
                Edit
              </Button>
            </div>

            {d.description && <p className={s.description}>{d.description}</p>}

            <section className={s.section} aria-label="Fields">
              <dl className={s.fields}>
                <dt>Assignee</dt>
                <dd>
                  <DiagnosticAssign key={d.assignee ?? ''} diagnostic={d} write={write} onChanged={changed} />
                </dd>
                <dt>Due</dt>
                <dd>
                  {when(d.due_at)}
                  {d.overdue && <span className={s.overdue}>overdue</span>}
                </dd>
                <dt>Tags</dt>
                <dd className={s.tags}>{d.tags.length ? d.tags.map((t) => <Tag key={t} name={t} />) : '—'}</dd>
                <dt>Component</dt>
                <dd>{d.component ?? '—'}</dd>
                <dt>Roadmap</dt>
                <dd>
                  {d.roadmap_url ? (
                    <TextLink href={d.roadmap_url} external>
                      {d.roadmap_url}
                    </TextLink>
                  ) : (
                    '—'
                  )}
                </dd>
                <dt>Origin</dt>
                <dd>
                  {d.origin === 'guardian'
                    ? `guardian rule ${d.rule ?? '?'} on ${d.node ?? '?'}`
                    : `API (${d.created_by})`}
                </dd>
                <dt>Updated</dt>
                <dd>{when(d.updated_at)}</dd>
                {d.resolved_at && (
                  <>
                    <dt>Resolved</dt>
                    <dd>{when(d.resolved_at)}</dd>
                  </>
                )}
                {d.closed_at && (
                  <>
                    <dt>Closed</dt>
                    <dd>{when(d.closed_at)}</dd>
                  </>
                )}
                <dt>Estimate</dt>
                <dd>
                  {d.estimate && d.estimate.median_s !== null
                    ? `${formatSeconds(d.estimate.remaining_s)} left (median ${formatSeconds(d.estimate.median_s)}, p90 ${formatSeconds(d.estimate.p90_s)}, ${d.estimate.sample_size} similar)`
                    : d.estimate
                      ? 'not enough resolved diagnostics'
                      : '—'}
                </dd>
              </dl>
            </section>

            <section className={s.section} aria-label="Linked incidents" data-testid={TEST_IDS.diagnostics.incidents}>
              <h4 className={s.heading}>Linked incidents</h4>
              {d.incidents.length === 0 ? (
                <p className={s.muted}>No incidents linked.</p>
              ) : (
                <table className={s.table}>
                  <thead>
                    <tr>
                      <th>Incident</th>
                      <th>Rule</th>
                      <th>Severity</th>
                      <th>Linked</th>
                      <th>Resolved</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.incidents.map((i) => (
                      <tr key={i.incident_id}>
                        <td>
                          {i.title}
                          <div className={s.muted}>{i.incident_id}</div>
                        </td>
                        <td>
                          {i.rule} on {i.node}
                        </td>
                        <td>
                          <Badge text={i.severity} color={severityBadgeColor(i.severity)} />
                        </td>
                        <td title={i.linked_at}>{timeAgo(i.linked_at)}</td>
                        <td>
                          {i.resolved_at ? (
                            <>
                              {timeAgo(i.resolved_at)}
                              {i.resolved_by && <div className={s.muted}>by {i.resolved_by}</div>}
                              {i.resolution_note && <div className={s.muted}>{i.resolution_note}</div>}
                            </>
                          ) : (
                            'open'
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>

            <section className={s.section} aria-label="Comments section">
              <h4 className={s.heading}>Comments</h4>
              <DiagnosticComments
                diagnosticId={d.id}
                comments={d.comments}
                write={write}
                onAdded={() => detail.reload()}
              />
            </section>

            <section className={s.section} aria-label="History section">
              <h4 className={s.heading}>History</h4>
              <DiagnosticHistory history={d.history} />
            </section>

            {editing && <DiagnosticFormModal diagnostic={d} onSaved={changed} onDismiss={() => setEditing(false)} />}
          </>
        )}
      </div>
    </Drawer>
  );
}
