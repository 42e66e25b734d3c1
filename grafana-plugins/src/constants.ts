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
  // Reserved for the diagnostics page (its own issue); the nav keeps its place.
  Diagnostics = 'diagnostics',
}
