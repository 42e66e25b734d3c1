import React, { lazy, Suspense } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import type { AppRootProps } from '@grafana/data';
import { LoadingPlaceholder } from '@grafana/ui';
import { ROUTES } from '../../constants';
import { NodeScopeProvider } from '../../hooks/useNodeScope';
import { NodeScopeBanner } from '../NodeScopeBanner';

const Overview = lazy(() => import('../../pages/Overview'));
const Incidents = lazy(() => import('../../pages/Incidents'));
const AgentsTasks = lazy(() => import('../../pages/AgentsTasks'));
const LineageExplorer = lazy(() => import('../../pages/LineageExplorer'));
const Audit = lazy(() => import('../../pages/Audit'));
const Diagnostics = lazy(() => import('../../pages/Diagnostics'));
const Policy = lazy(() => import('../../pages/Policy'));
const Fleet = lazy(() => import('../../pages/Fleet'));
const Backtest = lazy(() => import('../../pages/Backtest'));

const NODE_NAME = /^[A-Za-z0-9_-]{1,128}$/;

/** `?node=<name>` on any page: that node of the fleet, read through the hub (the Fleet page's drill-down). */
function nodeFromSearch(search: string): string | null {
  const node = new URLSearchParams(search).get('node');
  return node && NODE_NAME.test(node) ? node : null;
}

/**
 * App routes under /a/lookout-ops-app/; `diagnostics/:id` opens a diagnostic's detail over the list. With `?node=`
 * every page shows that node of the fleet through the hub (the Fleet page links there).
 */
export function App(_props: AppRootProps): React.JSX.Element {
  const node = nodeFromSearch(useLocation().search);
  return (
    <NodeScopeProvider node={node}>
      <Suspense fallback={<LoadingPlaceholder text="Loading…" />}>
        <NodeScopeBanner />
        <Routes>
          <Route path={ROUTES.Overview} element={<Overview />} />
          <Route path={ROUTES.Incidents} element={<Incidents />} />
          <Route path={`${ROUTES.Diagnostics}/*`} element={<Diagnostics />} />
          <Route path={ROUTES.Agents} element={<AgentsTasks />} />
          <Route path={ROUTES.Lineage} element={<LineageExplorer />} />
          <Route path={ROUTES.Audit} element={<Audit />} />
          <Route path={ROUTES.Policy} element={<Policy />} />
          <Route path={ROUTES.Fleet} element={<Fleet />} />
          <Route path={ROUTES.Backtest} element={<Backtest />} />
          <Route path="*" element={<Navigate to={ROUTES.Overview} replace />} />
        </Routes>
      </Suspense>
    </NodeScopeProvider>
  );
}

export default App;
