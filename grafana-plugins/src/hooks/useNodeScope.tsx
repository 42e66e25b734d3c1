import React, { createContext, useContext, useMemo } from 'react';
import { createDiagnosticsApi, createLookoutApi, type DiagnosticsApi, type LookoutApi } from '../api';

const NodeScopeContext = createContext<string | null>(null);

/**
 * Everything below reads one node of the fleet through the hub (`node`), or — null — the sidecar the app talks to.
 * The app's drill-down (`?node=`) and each panel's node picker set it.
 */
export function NodeScopeProvider({
  node,
  children,
}: {
  node: string | null;
  children: React.ReactNode;
}): React.JSX.Element {
  return <NodeScopeContext.Provider value={node}>{children}</NodeScopeContext.Provider>;
}

/** The fleet node in scope, or null for the sidecar the app talks to. */
export function useNodeScope(): string | null {
  return useContext(NodeScopeContext);
}

/** The sidecar API of the node in scope. */
export function useLookoutApi(): LookoutApi {
  const node = useNodeScope();
  return useMemo(() => createLookoutApi(node), [node]);
}

/** The diagnostics API of the node in scope. */
export function useDiagnosticsApi(): DiagnosticsApi {
  const node = useNodeScope();
  return useMemo(() => createDiagnosticsApi(node), [node]);
}
