/**
 * A stand-in for Grafana's HTTP server, enough for the plugin: the page shell with boot data, `dist/` under
 * /public/plugins/<id>/, the app's settings, and Grafana's plugin proxy under /api/plugin-proxy/<app-id>/ with the
 * routes of the built plugin.json (plugin-proxy.ts: Grafana's own rules). The signed-in user is a session cookie set
 * when the page is opened, as Grafana knows who is signed in without the page telling it.
 */
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  type GrafanaUser,
  type OrgRole,
  type PluginRoute,
  type ProxiedRequest,
  proxyPluginRequest,
} from './plugin-proxy';

export type { OrgRole } from './plugin-proxy';

/** The Grafana generations the harness can stand in for: their version and the host bundle sharing their modules. */
export const GENERATIONS = {
  '12.4': { version: '12.4.10', react: 18 },
  '13.2': { version: '13.2.3', react: 19 },
} as const;
export type Generation = keyof typeof GENERATIONS;

export interface HarnessOptions {
  /** grafana-plugins/ folder. */
  root: string;
  /** Which Grafana's shared modules the page loads (default 12.4). */
  generation?: Generation;
  sidecarUrl?: string;
  sidecarToken?: string;
  /** Grafana's `[dataproxy] send_user_header`: off by default, as in Grafana. */
  sendUserHeader?: boolean;
}

export interface HarnessServer {
  url: string;
  /** Every proxied request: what Grafana would log. */
  proxied: ProxiedRequest[];
  close(): Promise<void>;
}

const RANK: Record<string, number> = { Viewer: 1, Editor: 2, Admin: 3 };

const MIME: Record<string, string> = {
  '.js': 'application/javascript',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.css': 'text/css',
  '.ttf': 'font/ttf',
  '.woff2': 'font/woff2',
  '.md': 'text/markdown',
  '.map': 'application/json',
};

function page(version: string, role: OrgRole, theme: 'light' | 'dark', login: string): string {
  const bootData = {
    settings: {
      buildInfo: { version, edition: 'Open Source' },
      featureToggles: {},
      appSubUrl: '',
      theme2: { colors: { mode: theme } },
    },
    user: { login, name: login, orgRole: role, orgId: 1, isSignedIn: true, lightTheme: theme === 'light', theme },
    navTree: [],
  };
  return `<!doctype html><html><head><meta charset="utf-8"><title>Lookout harness</title>
<script>window.grafanaBootData = ${JSON.stringify(bootData)};</script>
<script src="/systemjs/system.js"></script>
<script src="/systemjs/extras/amd.js"></script>
<script src="/systemjs/extras/named-register.js"></script>
</head><body class="theme-${theme}"><div id="harness-root"></div>
<script src="/harness/host.js"></script></body></html>`;
}

function cookie(req: http.IncomingMessage, name: string): string | undefined {
  const m = new RegExp(`(?:^|;\\s*)${name}=([^;]+)`).exec(req.headers.cookie ?? '');
  return m ? decodeURIComponent(m[1]!) : undefined;
}

function serveFile(res: http.ServerResponse, file: string): void {
  fs.readFile(file, (err, body) => {
    if (err) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream' }).end(body);
  });
}

function under(base: string, rel: string): string | undefined {
  const f = path.resolve(base, '.' + path.posix.normalize('/' + decodeURIComponent(rel)));
  return f.startsWith(path.resolve(base)) ? f : undefined;
}

export async function startHarnessServer(o: HarnessOptions): Promise<HarnessServer> {
  const dist = path.join(o.root, 'dist');
  const generation = o.generation ?? '12.4';
  const hostDir = path.join(o.root, 'test-output', `harness-${generation}`);
  const pluginJson = JSON.parse(fs.readFileSync(path.join(dist, 'plugin.json'), 'utf8')) as {
    id: string;
    routes: PluginRoute[];
  };
  const appId = pluginJson.id;
  const systemjs = path.dirname(require_resolve('systemjs/package.json', o.root));
  // Grafana's own icons, from the @grafana/ui of the generation the page shares.
  const uiFrom = generation === '13.2' ? path.resolve(o.root, '../test-hosts/grafana13') : o.root;
  const icons = path.join(path.dirname(require_resolve('@grafana/ui/package.json', uiFrom)), 'dist/public/img');
  const settings = {
    jsonData: { sidecarUrl: o.sidecarUrl ?? '' } as Record<string, string>,
    secure: { sidecarToken: o.sidecarToken ?? '' },
  };
  const proxied: HarnessServer['proxied'] = [];
  const proxyPrefix = `/api/plugin-proxy/${appId}/`;
  const userIds = new Map<string, number>();
  const proxyOptions = {
    routes: pluginJson.routes,
    settings: () => ({ jsonData: settings.jsonData, secureJsonData: settings.secure }),
    sendUserHeader: o.sendUserHeader ?? false,
    onProxied: (e: ProxiedRequest) => void proxied.push(e),
  };
  /** The session's user, from the cookies the page shell set (Grafana: the session cookie). */
  const signedIn = (req: http.IncomingMessage): GrafanaUser => {
    const role = (cookie(req, 'grafana_role') ?? 'Viewer') as OrgRole;
    const login = cookie(req, 'grafana_login') ?? 'viewer-user';
    if (!userIds.has(login)) {
      userIds.set(login, userIds.size + 2);
    }
    return {
      userId: userIds.get(login)!,
      login,
      name: login,
      email: login.includes('@') ? login : `${login}@example.org`,
      orgId: 1,
      orgName: 'Main Org.',
      orgRole: role,
      isGrafanaAdmin: cookie(req, 'grafana_server_admin') === 'true',
      isAnonymous: false,
    };
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://harness');
    const p = url.pathname;
    if (p === '/' || p === '/index.html') {
      const role = (url.searchParams.get('role') as OrgRole) ?? 'Viewer';
      const theme = url.searchParams.get('theme') === 'light' ? 'light' : 'dark';
      const login = url.searchParams.get('login') ?? `${role.toLowerCase()}-user`;
      // Like a Grafana session: the server, not the page, knows who the user is.
      res.writeHead(200, {
        'Content-Type': 'text/html',
        'Set-Cookie': [
          `grafana_role=${role}; Path=/; SameSite=Strict`,
          `grafana_login=${encodeURIComponent(login)}; Path=/; SameSite=Strict`,
        ],
      });
      res.end(page(GENERATIONS[generation].version, RANK[role] ? role : 'Viewer', theme, login));
      return;
    }
    if (p.startsWith('/systemjs/')) {
      const f = under(path.join(systemjs, 'dist'), p.slice('/systemjs/'.length));
      return f ? serveFile(res, f) : void res.writeHead(404).end();
    }
    if (p.startsWith('/harness/')) {
      const f = under(hostDir, p.slice('/harness/'.length));
      return f ? serveFile(res, f) : void res.writeHead(404).end();
    }
    if (p.startsWith(`/public/plugins/${appId}/`)) {
      const f = under(dist, p.slice(`/public/plugins/${appId}/`.length));
      return f ? serveFile(res, f) : void res.writeHead(404).end();
    }
    const iconAt = p.indexOf('/img/icons/');
    if (p.startsWith('/public/') && iconAt >= 0) {
      const f = under(icons, p.slice(iconAt + '/img/'.length));
      return f ? serveFile(res, f) : void res.writeHead(404).end();
    }
    if (p === `/api/plugins/${appId}/settings`) {
      if (req.method === 'POST') {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          const s = JSON.parse(body || '{}') as {
            jsonData?: Record<string, string>;
            secureJsonData?: Record<string, string>;
          };
          settings.jsonData = { ...settings.jsonData, ...(s.jsonData ?? {}) };
          settings.secure = { ...settings.secure, ...(s.secureJsonData ?? {}) };
          res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"message":"Plugin settings updated"}');
        });
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          id: appId,
          enabled: true,
          jsonData: settings.jsonData,
          secureJsonFields: { sidecarToken: Boolean(settings.secure.sidecarToken) },
        })
      );
      return;
    }
    if (p.startsWith(proxyPrefix)) {
      proxyPluginRequest(proxyOptions, req, res, signedIn(req));
      return;
    }
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    proxied,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function require_resolve(id: string, from: string): string {
  // createRequire keeps this file loadable both as ESM (node type stripping) and by Playwright's CJS transform.
  return createRequire(path.join(from, 'package.json')).resolve(id);
}
