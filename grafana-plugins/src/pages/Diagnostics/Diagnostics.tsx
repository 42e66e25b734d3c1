import React, { useCallback, useEffect, useRef, useState } from 'react';
import { Route, Routes, useNavigate, useParams } from 'react-router';
import { PluginPage } from '@grafana/runtime';
import { Alert, Button, EmptyState, LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import { type Diagnostic, type DiagnosticsAnalytics as Analytics, diagnosticsApi, LookoutApiError } from '../../api';
import { DiagnosticDrawer } from '../../components/DiagnosticDrawer';
import { DiagnosticFilters } from '../../components/DiagnosticFilters';
import { DiagnosticFormModal } from '../../components/DiagnosticFormModal';
import { DiagnosticsAnalytics } from '../../components/DiagnosticsAnalytics';
import { DiagnosticsTable } from '../../components/DiagnosticsTable';
import { diagnosticUrl, PLUGIN_BASE_URL, ROUTES } from '../../constants';
import { DEFAULT_FILTERS, type DiagnosticFilterState, toListQuery } from '../../data/diagnostics';
import { currentOrgRole, roleAvailability } from '../../data/roles';
import { useAsync } from '../../hooks/useAsync';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './Diagnostics.styles';

const PAGE_SIZE = 50;
const LIST_URL = `${PLUGIN_BASE_URL}/${ROUTES.Diagnostics}`;

/** Analytics with the selected diagnostic's estimate; a selected id the sidecar does not know only loses the estimate. */
async function loadAnalytics(selectedId: string | undefined): Promise<Analytics> {
  try {
    return await diagnosticsApi.analytics({ diagnostic: selectedId });
  } catch (e) {
    if (selectedId && e instanceof LookoutApiError && (e.status === 404 || e.status === 400)) {
      return diagnosticsApi.analytics();
    }
    throw e;
  }
}

/** The diagnostics tracker: analytics strip, filters, the cursor-paged list and the detail at `diagnostics/:id`. */
export function Diagnostics(): React.JSX.Element {
  const s = useStyles2(getStyles);
  const navigate = useNavigate();
  const selectedId = useParams()['*'] || undefined;
  const write = roleAvailability(currentOrgRole(), 'Editor');
  const [filters, setFilters] = useState<DiagnosticFilterState>(DEFAULT_FILTERS);
  const [items, setItems] = useState<Diagnostic[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string>();
  const [creating, setCreating] = useState(false);
  const analytics = useAsync(() => loadAnalytics(selectedId), [selectedId]);
  // Only the newest list request may write the list: a slow page of old filters must not land after new ones.
  const requestId = useRef(0);

  const load = useCallback(async (f: DiagnosticFilterState, from: string | null): Promise<void> => {
    const id = ++requestId.current;
    setLoading(true);
    setError(undefined);
    try {
      const page = await diagnosticsApi.list(toListQuery(f, from, PAGE_SIZE));
      if (id !== requestId.current) {
        return;
      }
      setItems((cur) => (from ? [...cur, ...page.items] : page.items));
      setCursor(page.next_cursor ?? null);
    } catch (e) {
      if (id === requestId.current) {
        setError((e as Error).message);
      }
    } finally {
      if (id === requestId.current) {
        setLoading(false);
      }
    }
  }, []);

  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- load() starts the request; its state updates mirror it
    load(filters, null);
  }, [filters, load]);

  useEffect(() => () => void (requestId.current = -1), []);

  const onChanged = useCallback(
    (updated: Diagnostic) => {
      setItems((cur) => cur.map((d) => (d.id === updated.id ? updated : d)));
      analytics.reload();
    },
    [analytics]
  );

  const onCreated = (created: Diagnostic): void => {
    load(filters, null);
    analytics.reload();
    navigate(diagnosticUrl(created.id));
  };

  const filtered = JSON.stringify(filters) !== JSON.stringify(DEFAULT_FILTERS);

  return (
    <PluginPage>
      <div data-testid={TEST_IDS.pages.diagnostics}>
        <div className={s.header}>
          <h3 className={s.heading}>Diagnostics</h3>
          <Button
            icon="plus"
            disabled={!write.enabled}
            tooltip={write.enabled ? undefined : write.reason}
            data-testid={TEST_IDS.diagnostics.create}
            onClick={() => setCreating(true)}
          >
            Create diagnostic
          </Button>
        </div>
        {analytics.error && (
          <Alert severity="warning" title="Cannot load diagnostics analytics">
            {analytics.error.message}
          </Alert>
        )}
        {analytics.value && <DiagnosticsAnalytics analytics={analytics.value} selectedId={selectedId} />}
        <DiagnosticFilters value={filters} onChange={setFilters} />
        {error && (
          <Alert severity="error" title="Cannot load diagnostics">
            {error}
          </Alert>
        )}
        {!loading && !error && items.length === 0 && (
          <EmptyState
            variant={filtered ? 'not-found' : 'completed'}
            message={filtered ? 'No diagnostics match these filters' : 'No active diagnostics'}
            hideImage
          />
        )}
        {items.length > 0 && <DiagnosticsTable items={items} selectedId={selectedId} />}
        {loading && <LoadingPlaceholder text="Loading diagnostics…" />}
        {!loading && cursor && (
          <div className={s.footer}>
            <Button
              variant="secondary"
              data-testid={TEST_IDS.diagnostics.loadMore}
              onClick={() => load(filters, cursor)}
            >
              Load more
            </Button>
            <span className={s.muted}>{items.length} shown</span>
          </div>
        )}
        <Routes>
          <Route path=":id" element={<DetailRoute onClose={() => navigate(LIST_URL)} onChanged={onChanged} />} />
        </Routes>
        {creating && <DiagnosticFormModal onSaved={onCreated} onDismiss={() => setCreating(false)} />}
      </div>
    </PluginPage>
  );
}

function DetailRoute({
  onClose,
  onChanged,
}: {
  onClose: () => void;
  onChanged: (d: Diagnostic) => void;
}): React.JSX.Element | null {
  const { id } = useParams();
  return id ? <DiagnosticDrawer key={id} diagnosticId={id} onClose={onClose} onChanged={onChanged} /> : null;
}

export default Diagnostics;
