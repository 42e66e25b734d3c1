import pluginJson from './plugin.json';

export const PLUGIN_ID = pluginJson.id;
export const PLUGIN_BASE_URL = `/a/${PLUGIN_ID}`;
/** Every sidecar call goes through Grafana's plugin proxy, which injects the token. */
export const PROXY_BASE = `/api/plugin-proxy/${PLUGIN_ID}`;

export enum ROUTES {
  Overview = 'overview',
  Incidents = 'incidents',
  Agents = 'agents',
  Lineage = 'lineage',
  Audit = 'audit',
  Diagnostics = 'diagnostics',
  Policy = 'policy',
  Fleet = 'fleet',
  Backtest = 'backtest',
}

/** The in-app URL of a diagnostic's detail (`/a/lookout-ops-app/diagnostics/D-42`). */
export function diagnosticUrl(id: string): string {
  return `${PLUGIN_BASE_URL}/${ROUTES.Diagnostics}/${encodeURIComponent(id)}`;
}
