import { chooseRoute, joinUrlFragments, type PluginRoute } from '../tests/browser/plugin-proxy';
import pluginJson from './plugin.json';

// Grafana's proxy route choice (tests/browser/plugin-proxy.ts) over this plugin.json: the diagnostics rules the page
// relies on.
const routes = pluginJson.routes as PluginRoute[];
const allowed = (method: string, path: string, role: 'Viewer' | 'Editor' | 'Admin'): boolean | undefined => {
  const found = chooseRoute(routes, method, path, role);
  return found.kind === 'not-found' ? undefined : found.kind === 'proxy';
};

describe('plugin.json proxy routes for diagnostics', () => {
  it('lets a Viewer read the list, one diagnostic and the analytics', () => {
    for (const path of ['api/v1/diagnostics', 'api/v1/diagnostics/D-1', 'api/v1/diagnostics/analytics']) {
      expect(allowed('GET', path, 'Viewer')).toBe(true);
    }
  });

  it('keeps every write for Editors, and a Viewer write does not fall through to a read route', () => {
    const writes: Array<[string, string]> = [
      ['POST', 'api/v1/diagnostics'],
      ['PATCH', 'api/v1/diagnostics/D-1'],
      ['POST', 'api/v1/diagnostics/D-1/comments'],
      ['POST', 'api/v1/diagnostics/D-1/assign'],
      ['POST', 'api/v1/diagnostics/D-1/transition'],
      ['POST', 'api/v1/diagnostics/D-1/reopen'],
    ];
    for (const [method, path] of writes) {
      expect(allowed(method, path, 'Viewer')).toBe(false);
      expect(allowed(method, path, 'Editor')).toBe(true);
    }
  });

  it('forwards to the same path on the sidecar', () => {
    const found = chooseRoute(routes, 'POST', 'api/v1/diagnostics/D-1/transition', 'Editor');
    expect(found.kind === 'proxy' && joinUrlFragments(found.route.url, found.capture)).toBe(
      '{{ .JsonData.sidecarUrl }}/api/v1/diagnostics/D-1/transition'
    );
    expect(chooseRoute(routes, 'DELETE', 'api/v1/diagnostics/D-1', 'Admin').kind).toBe('not-found');
  });
});
