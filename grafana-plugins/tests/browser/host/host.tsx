/**
 * The browser side of the harness: what Grafana's frontend does for a plugin, with the real packages.
 * Shares React, @grafana/*, emotion, rxjs and react-router with the plugin through SystemJS (`app:<name>` modules plus
 * an import map, as Grafana's plugin loader does), provides a BackendSrv that goes through the page's own server
 * (which plays Grafana's plugin proxy), and mounts panels, app pages and the config page inside Grafana's theme.
 *
 * The same source is bundled once per Grafana generation (webpack.config.ts): each bundle resolves these imports to
 * that generation's packages, so `react-router` here is whatever that Grafana shares under that name.
 */
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import * as ReactDOMClient from 'react-dom/client';
import * as jsxRuntime from 'react/jsx-runtime';
import * as jsxDevRuntime from 'react/jsx-dev-runtime';
import * as grafanaData from '@grafana/data';
import * as grafanaUi from '@grafana/ui';
import * as grafanaRuntime from '@grafana/runtime';
import * as emotionCss from '@emotion/css';
import * as emotionReact from '@emotion/react';
import * as rxjs from 'rxjs';
import * as rxjsOperators from 'rxjs/operators';
import * as reactRouter from 'react-router';
import { defer, Observable } from 'rxjs';

type Mod = Record<string, unknown>;
/** The versions of the shared packages this bundle was built from (webpack.config.ts defines it). */
declare const __SHARED_VERSIONS__: Record<string, string>;
interface SystemJS {
  set(id: string, mod: Mod): void;
  import(id: string): Promise<Mod>;
  addImportMap(map: { imports: Record<string, string> }): void;
}
declare global {
  interface Window {
    System: SystemJS;
    lookoutHost: LookoutHost;
    __lookoutHostReady?: boolean;
  }
}

const SHARED: Record<string, Mod> = {
  react: React as unknown as Mod,
  'react-dom': ReactDOM as unknown as Mod,
  'react-dom/client': ReactDOMClient as unknown as Mod,
  'react/jsx-runtime': jsxRuntime as unknown as Mod,
  'react/jsx-dev-runtime': jsxDevRuntime as unknown as Mod,
  '@grafana/data': grafanaData as unknown as Mod,
  '@grafana/ui': grafanaUi as unknown as Mod,
  '@grafana/runtime': grafanaRuntime as unknown as Mod,
  '@emotion/css': emotionCss as unknown as Mod,
  '@emotion/react': emotionReact as unknown as Mod,
  rxjs: rxjs as unknown as Mod,
  'rxjs/operators': rxjsOperators as unknown as Mod,
  'react-router': reactRouter as unknown as Mod,
};

const imports: Record<string, string> = {};
for (const [name, mod] of Object.entries(SHARED)) {
  const id = `app:${name}`;
  window.System.set(id, { ...mod, default: (mod as { default?: unknown }).default ?? mod, __useDefault: true });
  imports[name] = id;
}
window.System.addImportMap({ imports });

// --- BackendSrv: same-origin fetch, errors shaped like Grafana's FetchError -------------------------------------
type Fixtures = Record<string, unknown>;
let fixtures: Fixtures | undefined;

function fetchObservable(req: grafanaRuntime.BackendSrvRequest): Observable<grafanaRuntime.FetchResponse<unknown>> {
  return defer(async () => {
    const method = req.method ?? 'GET';
    if (fixtures) {
      const path = new URL(req.url, location.origin).pathname.replace(/^\/api\/plugin-proxy\/lookout-ops-app\//, '');
      const hit = fixtures[`${method} ${path}`];
      if (hit === undefined) {
        throw { status: 404, data: { error: { code: 'not_found', message: `fixture ${method} ${path}` } } };
      }
      return { data: hit, status: 200, ok: true } as grafanaRuntime.FetchResponse<unknown>;
    }
    const headers: Record<string, string> = { Accept: 'application/json', ...(req.headers ?? {}) };
    let body: string | undefined;
    if (req.data !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(req.data);
    }
    const res = await fetch(req.url, { method, headers, body, credentials: 'same-origin' });
    const text = await res.text();
    let data: unknown = text;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      // Non-JSON bodies stay text, as Grafana's backend service leaves them.
    }
    if (!res.ok) {
      throw { status: res.status, statusText: res.statusText, data };
    }
    return {
      data,
      status: res.status,
      ok: true,
      statusText: res.statusText,
      url: res.url,
    } as grafanaRuntime.FetchResponse<unknown>;
  });
}

grafanaRuntime.setBackendSrv({
  fetch: fetchObservable,
  get: (url: string) =>
    fetchObservable({ url })
      .toPromise()
      .then((r) => r?.data),
} as unknown as grafanaRuntime.BackendSrv);

// --- Rendering ---------------------------------------------------------------------------------------------------
const PLUGIN_ROOT = '/public/plugins/lookout-ops-app';
let root: ReactDOMClient.Root | undefined;
const mode = (grafanaRuntime.config.bootData.user as { lightTheme?: boolean }).lightTheme ? 'light' : 'dark';
const theme = grafanaData.createTheme({ colors: { mode } });

function mount(node: React.ReactNode): void {
  const el = document.getElementById('harness-root')!;
  root?.unmount();
  root = ReactDOMClient.createRoot(el);
  root.render(
    <grafanaUi.ThemeContext.Provider value={theme}>
      <grafanaUi.GlobalStyles />
      <div data-testid="harness-mounted">{node}</div>
    </grafanaUi.ThemeContext.Provider>
  );
}

interface PanelRequest {
  panel: 'lineage' | 'gallery' | 'feed' | 'actions';
  options?: Record<string, unknown>;
  width?: number;
  height?: number;
}

interface LookoutHost {
  /** Package versions the page shares with the plugin; `react` is the React actually running. */
  shared: Record<string, string>;
  renderPanel(r: PanelRequest): Promise<void>;
  renderApp(path: string, jsonData?: Record<string, unknown>): Promise<void>;
  renderConfig(meta: Record<string, unknown>): Promise<void>;
  useFixtures(f: Fixtures | undefined): void;
  unmount(): void;
  theme: string;
}

async function renderPanel({ panel, options = {}, width = 900, height = 500 }: PanelRequest): Promise<void> {
  const mod = await window.System.import(`${PLUGIN_ROOT}/panels/${panel}/module.js`);
  const plugin = mod.plugin as grafanaData.PanelPlugin;
  // Grafana runs the migration handler on a panel's saved options; ours also fills the defaults.
  const migrated = plugin.onPanelMigration
    ? await plugin.onPanelMigration({
        id: 1,
        type: `lookout-${panel}-panel`,
        options,
        fieldConfig: { defaults: {}, overrides: [] },
      } as grafanaData.PanelModel)
    : options;
  const Panel = plugin.panel!;
  const timeRange = grafanaData.getDefaultTimeRange();
  const props = {
    id: 1,
    data: { series: [], state: grafanaData.LoadingState.Done, timeRange },
    timeRange,
    timeZone: 'browser',
    options: { ...migrated, ...options },
    fieldConfig: { defaults: {}, overrides: [] },
    transparent: false,
    width,
    height,
    renderCounter: 0,
    title: panel,
    eventBus: new grafanaData.EventBusSrv(),
    replaceVariables: (s: string) => s,
    onOptionsChange: () => undefined,
    onFieldConfigChange: () => undefined,
    onChangeTimeRange: () => undefined,
  } as unknown as grafanaData.PanelProps;
  mount(
    // border-box, as Grafana's panel chrome: the panel's own elements inherit box-sizing from here.
    <div
      style={{ width: width + 16, height: height + 16, padding: 8, boxSizing: 'border-box' }}
      data-testid="harness-panel"
    >
      <Panel {...props} />
    </div>
  );
}

async function appPlugin(): Promise<grafanaData.AppPlugin> {
  const mod = await window.System.import(`${PLUGIN_ROOT}/module.js`);
  return mod.plugin as grafanaData.AppPlugin;
}

const meta = (jsonData: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): grafanaData.AppPluginMeta =>
  ({
    id: 'lookout-ops-app',
    name: 'Lookout',
    type: grafanaData.PluginType.app,
    enabled: true,
    pinned: true,
    jsonData,
    baseUrl: PLUGIN_ROOT,
    module: `${PLUGIN_ROOT}/module.js`,
    info: { logos: { small: '', large: '' } },
    ...extra,
  }) as unknown as grafanaData.AppPluginMeta;

window.lookoutHost = {
  shared: { ...__SHARED_VERSIONS__, react: React.version },
  theme: mode,
  async renderPanel(r) {
    await renderPanel(r);
  },
  async renderApp(path, jsonData) {
    const plugin = await appPlugin();
    const Root = plugin.root!;
    mount(
      <reactRouter.MemoryRouter initialEntries={[path]}>
        <reactRouter.Routes>
          <reactRouter.Route
            path="/a/lookout-ops-app/*"
            element={
              <Root
                meta={meta(jsonData)}
                basename="/a/lookout-ops-app"
                query={{}}
                path={path}
                onNavChanged={() => undefined}
              />
            }
          />
        </reactRouter.Routes>
      </reactRouter.MemoryRouter>
    );
  },
  async renderConfig(m) {
    const plugin = await appPlugin();
    const page = plugin.configPages?.[0];
    if (!page) {
      throw new Error('app has no config page');
    }
    const Body = page.body;
    mount(
      <Body
        plugin={
          { meta: meta((m.jsonData as Record<string, unknown>) ?? {}, m) } as unknown as grafanaData.GrafanaPlugin
        }
        query={{}}
      />
    );
  },
  useFixtures(f) {
    fixtures = f;
  },
  unmount() {
    root?.unmount();
    root = undefined;
  },
};
window.__lookoutHostReady = true;
