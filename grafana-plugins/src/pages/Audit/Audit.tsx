import React, { useCallback, useEffect, useState } from 'react';
import { PluginPage } from '@grafana/runtime';
import { Alert, Button, EmptyState, LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import { type AuditEntry } from '../../api';
import { useLookoutApi } from '../../hooks/useNodeScope';
import { currentOrgRole, hasRole } from '../../data/roles';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './Audit.styles';

export function Audit(): React.JSX.Element {
  const lookoutApi = useLookoutApi();
  const s = useStyles2(getStyles);
  const isAdmin = hasRole(currentOrgRole(), 'Admin');
  const [items, setItems] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>();
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string>();

  const load = useCallback(
    async (from?: string | null) => {
      setLoading(true);
      setError(undefined);
      try {
        const page = await lookoutApi.audit(from);
        setItems((cur) => (from ? [...cur, ...page.items] : page.items));
        setCursor(page.next_cursor ?? null);
      } catch (e) {
        setError((e as Error).message);
      } finally {
        setLoading(false);
      }
    },
    [lookoutApi]
  );

  useEffect(() => {
    if (isAdmin) {
      // eslint-disable-next-line react-hooks/set-state-in-effect -- load() starts the request; its state updates mirror it
      load();
    }
  }, [isAdmin, load]);

  return (
    <PluginPage>
      <div data-testid={TEST_IDS.pages.audit}>
        {!isAdmin ? (
          <Alert severity="info" title="Admins only">
            The audit log is visible to Grafana organisation admins.
          </Alert>
        ) : (
          <>
            {error && (
              <Alert severity="error" title="Cannot load the audit log">
                {error}
              </Alert>
            )}
            {!loading && !error && items.length === 0 && (
              <EmptyState variant="not-found" message="No audit entries yet" hideImage />
            )}
            {items.length > 0 && (
              <table className={s.table} aria-label="Audit log">
                <thead>
                  <tr>
                    <th>Time</th>
                    <th>Grafana user</th>
                    <th>Token</th>
                    <th>Request</th>
                    <th>Action</th>
                    <th>Reason</th>
                    <th>Result</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((a) => (
                    <tr key={a.id}>
                      <td>{a.ts}</td>
                      <td>{a.grafana_user ?? '—'}</td>
                      <td>{a.actor}</td>
                      <td>
                        {a.method} {a.route}
                      </td>
                      <td>{a.action ?? '—'}</td>
                      <td>{a.reason ?? '—'}</td>
                      <td>
                        {a.result ?? '—'} ({a.status})
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {loading && <LoadingPlaceholder text="Loading…" />}
            {cursor && !loading && (
              <Button variant="secondary" onClick={() => load(cursor)}>
                Load older entries
              </Button>
            )}
          </>
        )}
      </div>
    </PluginPage>
  );
}

export default Audit;
