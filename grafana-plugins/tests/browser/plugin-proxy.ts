/**
 * Grafana's app plugin proxy (`/api/plugin-proxy/<app-id>/<path>`), rule for rule, for the browser harness. Read from
 * grafana/grafana: `pkg/api/plugin_proxy.go` (the proxy path is the escaped request path after the prefix),
 * `pkg/api/pluginproxy/pluginproxy.go` (route choice, role check, director), `pkg/web/tree.go` (path matching),
 * `pkg/util/proxyutil` (request and response clean-up, X-Grafana-User, 200 ms flushing). See GRAFANA-LOADER.md.
 *
 * - Routes are tried in plugin.json order. A route whose `method` is set, is not `*` and differs is skipped.
 * - The path is matched like Grafana's web tree: one leading and one trailing `/` trimmed from both, segments compared
 *   case-sensitively after %-decoding, `*` captures the decoded rest.
 * - The first matching route decides: its `reqRole` against the user's org role (Viewer < Editor < Admin; a Grafana
 *   server admin gets nothing more) → 403 "plugin proxy route access denied", later routes not tried. No route → 404
 *   "plugin route match not found".
 * - Upstream: the route's `url` (templated over jsonData / secureJsonData) with the `*` capture joined to its path;
 *   nothing is appended without `*`. The query string is kept.
 * - Cookies are stripped both ways; `X-Grafana-Context` is always the signed-in user as JSON with Go's field names,
 *   replacing any client copy; `X-Grafana-User` is dropped from the client and set only when `sendUserHeader` is on;
 *   the route's headers are applied last. The answer is streamed (SSE works) with `Content-Security-Policy: sandbox`.
 */
import http from 'node:http';

export type OrgRole = 'Viewer' | 'Editor' | 'Admin' | 'None';

export interface PluginRoute {
  path: string;
  method?: string;
  reqRole?: OrgRole;
  url: string;
  headers?: Array<{ name: string; content: string }>;
}

/** The signed-in Grafana user, as Grafana's `user.SignedInUser`. */
export interface GrafanaUser {
  userId: number;
  login: string;
  name: string;
  email: string;
  orgId: number;
  orgName: string;
  orgRole: OrgRole;
  isGrafanaAdmin: boolean;
  isAnonymous: boolean;
}

export interface PluginProxyOptions {
  routes: PluginRoute[];
  settings: () => { jsonData: Record<string, string>; secureJsonData: Record<string, string> };
  /** Grafana's `[dataproxy] send_user_header` (off by default, as in Grafana). */
  sendUserHeader?: boolean;
  /** Called once per request with what Grafana would log. */
  onProxied?: (entry: ProxiedRequest) => void;
}

export interface ProxiedRequest {
  method: string;
  path: string;
  role: OrgRole;
  /** The index in plugin.json of the route that decided, if any. */
  route?: number;
  status: number;
  upstream?: string;
}

/** `RoleType.Includes`: Admin includes every role, Editor all but Admin, any other role only itself. */
export function roleIncludes(has: OrgRole, needs: OrgRole): boolean {
  if (has === 'Admin') {
    return true;
  }
  if (has === 'Editor') {
    return needs !== 'Admin';
  }
  return has === needs;
}

function unescape(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/**
 * Grafana's `web.Tree` built from one route path, matched against an escaped proxy path. Returns the `*` capture
 * (decoded; `''` when the pattern has no `*`) or undefined when it does not match.
 */
export function matchRoutePath(routePath: string, proxyPath: string): { capture: string } | undefined {
  // Tree.Add: one trailing slash off, then each segment loses one leading slash.
  const segments: string[] = [];
  let rest = routePath.replace(/\/$/, '');
  for (;;) {
    rest = rest.replace(/^\//, '');
    const i = rest.indexOf('/');
    if (i === -1) {
      segments.push(rest);
      break;
    }
    segments.push(rest.slice(0, i));
    rest = rest.slice(i + 1);
  }
  const leaf = segments[segments.length - 1]!;
  const subtrees = segments.slice(0, -1);
  const isParam = (p: string): boolean => p.startsWith(':');

  // Tree.Match: one leading and one trailing slash off.
  const url = proxyPath.replace(/^\//, '').replace(/\/$/, '');
  const matchAt = (depth: number, u: string): { capture: string } | undefined => {
    const i = u.indexOf('/');
    if (i === -1) {
      // matchLeaf: the whole rest, unescaped, against the leaf (when this tree level holds it).
      if (depth !== subtrees.length) {
        return undefined;
      }
      const decoded = unescape(u);
      if (decoded === undefined) {
        return undefined;
      }
      if (leaf === '*') {
        return { capture: decoded };
      }
      return isParam(leaf) || leaf === decoded ? { capture: '' } : undefined;
    }
    // matchSubtree: the next segment, unescaped, against this level's subtree ...
    const segment = unescape(u.slice(0, i));
    if (segment === undefined) {
      return undefined;
    }
    const next = u.slice(i + 1);
    if (depth < subtrees.length) {
      const pattern = subtrees[depth]!;
      if (pattern === segment || isParam(pattern) || pattern === '*') {
        const hit = matchAt(depth + 1, next);
        if (hit) {
          return hit;
        }
      }
      return undefined;
    }
    // ... else a `*` leaf at this level takes everything that is left.
    if (leaf === '*') {
      const all = unescape(`${u.slice(0, i)}/${next}`);
      return all === undefined ? undefined : { capture: all };
    }
    return undefined;
  };
  return matchAt(0, url);
}

export type RouteDecision =
  | { kind: 'proxy'; index: number; route: PluginRoute; capture: string }
  | { kind: 'denied'; index: number }
  | { kind: 'not-found' };

/** `PluginProxy.HandleRequest`'s route loop. */
export function chooseRoute(routes: PluginRoute[], method: string, proxyPath: string, role: OrgRole): RouteDecision {
  for (const [index, route] of routes.entries()) {
    if (route.method && route.method !== '*' && route.method !== method) {
      continue;
    }
    const m = matchRoutePath(route.path, proxyPath);
    if (!m) {
      continue;
    }
    if (route.reqRole && !roleIncludes(role, route.reqRole)) {
      return { kind: 'denied', index };
    }
    return { kind: 'proxy', index, route, capture: m.capture };
  }
  return { kind: 'not-found' };
}

/** Go's `text/template` use in plugin.json: `{{ .JsonData.x }}` and `{{ .SecureJsonData.x }}`. */
export function interpolate(
  template: string,
  jsonData: Record<string, string>,
  secure: Record<string, string>
): string {
  return template
    .replace(/\{\{\s*\.JsonData\.(\w+)\s*\}\}/g, (_, k: string) => jsonData[k] ?? '')
    .replace(/\{\{\s*\.SecureJsonData\.(\w+)\s*\}\}/g, (_, k: string) => secure[k] ?? '');
}

/** Go's `url.URL.EscapedPath` for a decoded path: `/` and the path-safe characters stay, the rest is escaped. */
function escapePath(p: string): string {
  return Array.from(new TextEncoder().encode(p), (b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9\-_.~$&+,/:;=@]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/** `util.JoinURLFragments`: one slash between the two, nothing added for an empty second part. */
export function joinUrlFragments(a: string, b: string): string {
  if (b.length === 0) {
    return a;
  }
  const aSlash = a.endsWith('/');
  const bSlash = b.startsWith('/');
  if (aSlash && bSlash) {
    return a + b.slice(1);
  }
  if (!aSlash && !bSlash) {
    return `${a}/${b}`;
  }
  return a + b;
}

/** `json.Marshal(SignedInUser)`: Go's field names, fields tagged `json:"-"` left out. */
export function grafanaContext(u: GrafanaUser): string {
  return JSON.stringify({
    UserID: u.userId,
    UserUID: `u${u.userId}`,
    OrgID: u.orgId,
    OrgName: u.orgName,
    OrgRole: u.orgRole,
    Login: u.login,
    Name: u.name,
    Email: u.email,
    EmailVerified: false,
    AuthID: '',
    AuthenticatedBy: 'password',
    AllowedKubernetesNamespace: '',
    ApiKeyID: 0,
    IsServiceAccount: false,
    IsGrafanaAdmin: u.isGrafanaAdmin,
    IsAnonymous: u.isAnonymous,
    IsDisabled: false,
    HelpFlags1: 0,
    LastSeenAt: new Date(0).toISOString(),
    Teams: [],
    FallbackType: '',
  });
}

function jsonError(res: http.ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message }));
}

/**
 * Handles one `/api/plugin-proxy/<app-id>/...` request for `user`. `rawPath` is the request path as sent (escaped),
 * `search` its query string.
 */
export function proxyPluginRequest(
  o: PluginProxyOptions,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  user: GrafanaUser
): void {
  const [rawPath = '', search = ''] = (req.url ?? '').split(/\?(.*)/s);
  // pkg/api/plugin_proxy.go: the escaped path after `/api/plugin-proxy/<id>` and at most one slash.
  const proxyPath = rawPath.replace(/^\/api\/plugin-proxy\/[\w-]+\/?/, '');
  const method = req.method ?? 'GET';
  const entry: ProxiedRequest = { method, path: proxyPath, role: user.orgRole, status: 0 };
  const done = (status: number): void => {
    entry.status = status;
    o.onProxied?.(entry);
  };
  const decision = chooseRoute(o.routes, method, proxyPath, user.orgRole);
  if (decision.kind === 'not-found') {
    jsonError(res, 404, 'plugin route match not found');
    done(404);
    return;
  }
  entry.route = decision.index;
  if (decision.kind === 'denied') {
    jsonError(res, 403, 'plugin proxy route access denied');
    done(403);
    return;
  }
  const { jsonData, secureJsonData } = o.settings();
  let target: URL;
  try {
    target = new URL(interpolate(decision.route.url, jsonData, secureJsonData));
  } catch {
    jsonError(res, 500, 'Could not parse url');
    done(500);
    return;
  }
  // Built by hand: a URL object would resolve `..` segments, which Go's director sends as they are.
  const upstreamPath = escapePath(joinUrlFragments(decodeURIComponent(target.pathname), decision.capture));
  entry.upstream = upstreamPath + (search ? `?${search}` : '');

  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) {
    headers[k] = v;
  }
  // Grafana's own session and the browser's context never reach the plugin's backend.
  for (const h of ['cookie', 'set-cookie', 'authorization', 'host', 'x-grafana-context', 'x-grafana-user']) {
    delete headers[h];
  }
  headers['x-grafana-referer'] = req.headers.referer ?? '';
  for (const h of ['origin', 'referer', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-proto']) {
    delete headers[h];
  }
  const remote = req.socket.remoteAddress ?? '';
  headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${req.headers['x-forwarded-for']}, ${remote}` : remote;
  headers['x-grafana-context'] = grafanaContext(user);
  if (o.sendUserHeader && !user.isAnonymous) {
    headers['x-grafana-user'] = user.login;
  }
  for (const h of decision.route.headers ?? []) {
    headers[h.name.toLowerCase()] = interpolate(h.content, jsonData, secureJsonData);
  }

  const upstream = http.request(
    { protocol: target.protocol, hostname: target.hostname, port: target.port, path: entry.upstream, method, headers },
    (upRes) => {
      const out: http.OutgoingHttpHeaders = { ...upRes.headers, 'content-security-policy': 'sandbox' };
      delete out['set-cookie'];
      res.writeHead(upRes.statusCode ?? 502, out);
      res.flushHeaders();
      upRes.pipe(res);
      done(upRes.statusCode ?? 502);
    }
  );
  upstream.on('error', () => {
    if (!res.headersSent) {
      res.writeHead(502).end();
      done(502);
    } else {
      res.destroy();
    }
  });
  req.pipe(upstream);
  res.on('close', () => upstream.destroy());
}
