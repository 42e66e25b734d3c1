/**
 * A stand-in for Grafana's HTTP server, enough for the plugin: the page shell with boot data, `dist/` under
 * /public/plugins/<id>/, and the plugin proxy under /api/plugin-proxy/<app-id>/ that matches the routes of the
 * built plugin.json the way Grafana does (in order, method first, `*` wildcard, `reqRole` denial is a final 403),
 * injects the route's headers (the bearer token) and the X-Grafana-Context the browser cannot forge.
 */
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

export type OrgRole = 'Viewer' | 'Editor' | 'Admin';
const RANK: Record<string, number> = { Viewer: 1, Editor: 2, Admin: 3 };

export interface PluginRoute {
  path: string;
  method?: string;
  reqRole?: OrgRole;
  url: string;
  headers?: Array<{ name: string; content: string }>;
}

export interface HarnessOptions {
  /** grafana-plugins/ folder. */
  root: string;
  sidecarUrl?: string;
  sidecarToken?: string;
}

export interface HarnessServer {
  url: string;
  /** Every proxied request: what Grafana would log. */
  proxied: Array<{ method: string; path: string; role: OrgRole; status: number }>;
  close(): Promise<void>;
}

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

/** X-Grafana-Context as Grafana sets it: the signed-in user with Go's field names. */
export function grafanaContext(login: string, role: OrgRole): string {
  return JSON.stringify({
    UserID: 1,
    UserUID: `harness-${login}`,
    OrgID: 1,
    OrgName: 'Main Org.',
    OrgRole: role,
    Login: login,
    Name: login,
    Email: login,
    IsGrafanaAdmin: false,
    IsAnonymous: false,
  });
}

/** Grafana's route tree match: literal segments, `:param` for one segment, trailing `*` for the rest. */
export function matchRoute(routePath: string, proxyPath: string): { wildcard: string } | undefined {
  const r = routePath.replace(/^\/+|\/+$/g, '').split('/');
  const p = proxyPath.replace(/^\/+/, '').split('/');
  for (let i = 0; i < r.length; i++) {
    const seg = r[i]!;
    if (seg === '*') {
      const rest = p.slice(i).join('/');
      return rest ? { wildcard: rest } : undefined;
    }
    if (i >= p.length) {
      return undefined;
    }
    if (!seg.startsWith(':') && seg !== p[i]) {
      return undefined;
    }
  }
  return r.length === p.length ? { wildcard: '' } : undefined;
}

export function findRoute(
  routes: PluginRoute[],
  method: string,
  proxyPath: string,
  role: OrgRole
): { route: PluginRoute; wildcard: string } | { denied: true } | undefined {
  for (const route of routes) {
    if (route.method && route.method !== '*' && route.method !== method) {
      continue;
    }
    const m = matchRoute(route.path, proxyPath);
    if (!m) {
      continue;
    }
    if (route.reqRole && RANK[role]! < RANK[route.reqRole]!) {
      return { denied: true };
    }
    return { route, wildcard: m.wildcard };
  }
  return undefined;
}

function interpolate(template: string, jsonData: Record<string, string>, secure: Record<string, string>): string {
  return template
    .replace(/\{\{\s*\.JsonData\.(\w+)\s*\}\}/g, (_, k: string) => jsonData[k] ?? '')
    .replace(/\{\{\s*\.SecureJsonData\.(\w+)\s*\}\}/g, (_, k: string) => secure[k] ?? '');
}

function page(role: OrgRole, theme: 'light' | 'dark', login: string): string {
  const bootData = {
    settings: {
      buildInfo: { version: '12.4.10', edition: 'Open Source' },
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
  const pluginJson = JSON.parse(fs.readFileSync(path.join(dist, 'plugin.json'), 'utf8')) as {
    id: string;
    routes: PluginRoute[];
  };
  const appId = pluginJson.id;
  const systemjs = path.dirname(require_resolve('systemjs/package.json', o.root));
  const icons = path.join(path.dirname(require_resolve('@grafana/ui/package.json', o.root)), 'dist/public/img');
  const settings = {
    jsonData: { sidecarUrl: o.sidecarUrl ?? '' } as Record<string, string>,
    secure: { sidecarToken: o.sidecarToken ?? '' },
  };
  const proxied: HarnessServer['proxied'] = [];
  const proxyPrefix = `/api/plugin-proxy/${appId}/`;

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
      res.end(page(RANK[role] ? role : 'Viewer', theme, login));
      return;
    }
    if (p.startsWith('/systemjs/')) {
      const f = under(path.join(systemjs, 'dist'), p.slice('/systemjs/'.length));
      return f ? serveFile(res, f) : void res.writeHead(404).end();
    }
    if (p.startsWith('/harness/')) {
      const f = under(path.join(o.root, 'test-output/harness'), p.slice('/harness/'.length));
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
      const role = (cookie(req, 'grafana_role') as OrgRole) ?? 'Viewer';
      const login = cookie(req, 'grafana_login') ?? 'anonymous';
      const proxyPath = p.slice(proxyPrefix.length);
      const method = req.method ?? 'GET';
      const found = findRoute(pluginJson.routes, method, proxyPath, role);
      const log = (status: number): void => void proxied.push({ method, path: proxyPath, role, status });
      if (!found) {
        log(404);
        res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"plugin route match not found"}');
        return;
      }
      if ('denied' in found) {
        log(403);
        res
          .writeHead(403, { 'Content-Type': 'application/json' })
          .end('{"message":"plugin proxy route access denied"}');
        return;
      }
      let target: URL;
      try {
        target = new URL(interpolate(found.route.url, settings.jsonData, settings.secure));
      } catch {
        log(502);
        res
          .writeHead(502, { 'Content-Type': 'application/json' })
          .end('{"message":"plugin route URL is not configured"}');
        return;
      }
      if (found.wildcard) {
        target.pathname = `${target.pathname.replace(/\/+$/, '')}/${found.wildcard}`;
      }
      target.search = url.search;
      const headers: http.OutgoingHttpHeaders = { ...req.headers };
      for (const h of ['cookie', 'authorization', 'x-grafana-user', 'x-grafana-context', 'host', 'origin', 'referer']) {
        delete headers[h];
      }
      // Grafana always sets the signed-in user (json.Marshal of its SignedInUser), replacing a client's copy.
      headers['x-grafana-context'] = grafanaContext(login, role);
      for (const h of found.route.headers ?? []) {
        headers[h.name.toLowerCase()] = interpolate(h.content, settings.jsonData, settings.secure);
      }
      const up = http.request(target, { method, headers }, (upRes) => {
        log(upRes.statusCode ?? 502);
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      up.on('error', (err) => {
        log(502);
        if (!res.headersSent) {
          res
            .writeHead(502, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ message: `Bad Gateway: ${err.message}` }));
        }
      });
      req.pipe(up);
      res.on('close', () => up.destroy());
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
