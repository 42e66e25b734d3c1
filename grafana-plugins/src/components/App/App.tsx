import React, { lazy, Suspense } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import type { AppRootProps } from '@grafana/data';
import { LoadingPlaceholder } from '@grafana/ui';
import { ROUTES } from '../../constants';

const Overview = lazy(() => import('../../pages/Overview'));
const Incidents = lazy(() => import('../../pages/Incidents'));
const AgentsTasks = lazy(() => import('../../pages/AgentsTasks'));
const LineageExplorer = lazy(() => import('../../pages/LineageExplorer'));
const Audit = lazy(() => import('../../pages/Audit'));
const Diagnostics = lazy(() => import('../../pages/Diagnostics'));
const Policy = lazy(() => import('../../pages/Policy'));
const Backtest = lazy(() => import('../../pages/Backtest'));

/** App routes under /a/lookout-ops-app/; `diagnostics/:id` opens a diagnostic's detail over the list. */
export function App(_props: AppRootProps): React.JSX.Element {
  return (
    <Suspense fallback={<LoadingPlaceholder text="Loading…" />}>
      <Routes>
        <Route path={ROUTES.Overview} element={<Overview />} />
        <Route path={ROUTES.Incidents} element={<Incidents />} />
        <Route path={`${ROUTES.Diagnostics}/*`} element={<Diagnostics />} />
        <Route path={ROUTES.Agents} element={<AgentsTasks />} />
        <Route path={ROUTES.Lineage} element={<LineageExplorer />} />
        <Route path={ROUTES.Audit} element={<Audit />} />
        <Route path={ROUTES.Policy} element={<Policy />} />
        <Route path={ROUTES.Backtest} element={<Backtest />} />
        <Route path="*" element={<Navigate to={ROUTES.Overview} replace />} />
      </Routes>
    </Suspense>
  );
}

export default App;
