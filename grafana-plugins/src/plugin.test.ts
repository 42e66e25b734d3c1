import { findRoute, type PluginRoute } from '../tests/browser/server';
import pluginJson from './plugin.json';

// The harness plays Grafana's proxy matching (in order, method first, a reqRole denial is final); these are the
// diagnostics rules the page relies on.
const routes = pluginJson.routes as PluginRoute[];
const allowed = (method: string, path: string, role: 'Viewer' | 'Editor' | 'Admin'): boolean | undefined => {
  const found = findRoute(routes, method, path, role);
  return found === undefined ? undefined : !('denied' in found);
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
    const found = findRoute(routes, 'POST', 'api/v1/diagnostics/D-1/transition', 'Editor');
    expect(found && 'route' in found && `${found.route.url}/${found.wildcard}`).toBe(
      '{{ .JsonData.sidecarUrl }}/api/v1/diagnostics/D-1/transition'
    );
    expect(findRoute(routes, 'DELETE', 'api/v1/diagnostics/D-1', 'Admin')).toBeUndefined();
  });
});
