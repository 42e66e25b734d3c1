import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import type { ConfigInput } from '../../src/config/config-schema';
import { type Sidecar, type StartOptions, startSidecar } from '../../src/main';
import { createLogger } from '../../src/log/logger';

export const TOKENS = {
  admin: 'admin-secret-0123456789abcdef',
  operator: 'operator-secret-0123456789abcd',
  viewer: 'viewer-secret-0123456789abcdef',
  agent: 'agent-secret-0123456789abcdefg',
  /** The delegation token Grafana holds: requests with it name a Grafana user in X-Grafana-Context. */
  grafana: 'grafana-secret-0123456789abcde',
  /** Alertmanager's webhook credential: good for POST /api/v1/alertmanager/webhook only. */
  alertmanager: 'alertmanager-secret-0123456789ab',
} as const;

export type TokenRole = keyof typeof TOKENS;

export type GrafanaOrgRole = 'Viewer' | 'Editor' | 'Admin' | 'None';

export interface GrafanaUser {
  login: string;
  role: GrafanaOrgRole;
  orgId?: number;
  userId?: number;
  userUid?: string;
  isGrafanaAdmin?: boolean;
  isAnonymous?: boolean;
}

/**
 * X-Grafana-Context as Grafana's plugin proxy sends it: `json.Marshal` of the signed-in user, Go field
 * names and all (grafana/grafana pkg/services/user SignedInUser).
 */
export function grafanaContext(u: GrafanaUser): string {
  return JSON.stringify({
    UserID: u.userId ?? 7,
    UserUID: u.userUid ?? `uid-${u.login}`,
    OrgID: u.orgId ?? 1,
    OrgName: 'Main Org.',
    OrgRole: u.role,
    Login: u.login,
    Name: u.login,
    Email: `${u.login}@example.org`,
    AuthenticatedBy: 'password',
    IsServiceAccount: false,
    IsGrafanaAdmin: u.isGrafanaAdmin ?? false,
    IsAnonymous: u.isAnonymous ?? false,
    IsDisabled: false,
    HelpFlags1: 0,
    LastSeenAt: '2026-12-01T10:00:00Z',
    Teams: [],
  });
}

/** Options for `call` that act as a Grafana user through the grafana token. */
export function asGrafana(u: GrafanaUser): { as: 'grafana'; headers: Record<string, string> } {
  return { as: 'grafana', headers: { 'x-grafana-context': grafanaContext(u) } };
}

/**
 * The six test tokens as config: admin, operator, viewer, an agent named `agent-1`, the grafana delegation
 * token, and alertmanager (the webhook's credential).
 */
export const TEST_TOKENS = [
  { name: 'admin', role: 'admin', secret: TOKENS.admin },
  { name: 'operator', role: 'operator', secret: TOKENS.operator },
  { name: 'viewer', role: 'viewer', secret: TOKENS.viewer },
  { name: 'agent-1', role: 'agent', secret: TOKENS.agent },
  { name: 'grafana', role: 'grafana', secret: TOKENS.grafana },
  { name: 'alertmanager', role: 'alertmanager', secret: TOKENS.alertmanager },
] as const satisfies { name: string; role: string; secret: string }[];

export type ApiCall = TestSidecar['call'];

/** fetch against a sidecar at `url` with a role's token (admin unless `as` says otherwise); JSON in and out. */
export function apiCaller(url: string): ApiCall {
  return async (method, route, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    const as = o.as === undefined ? 'admin' : o.as;
    if (as) headers['authorization'] = `Bearer ${TOKENS[as]}`;
    let body: string | undefined = o.raw;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] = 'application/json';
    } else if (o.raw !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await fetch(url + route, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (metrics, images): keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
}

export interface TestSidecar {
  sidecar: Sidecar;
  url: string;
  dataDir: string;
  workspace: string;
  /** fetch against the sidecar with a role's token (or none); JSON bodies in and out. */
  call(
    method: string,
    route: string,
    opts?: { as?: TokenRole | null; body?: unknown; headers?: Record<string, string>; raw?: string }
  ): Promise<{ status: number; body: unknown; headers: Headers }>;
  stop(): Promise<void>;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `lookout-${prefix}-`));
}

/** The conventional workspace sub-folders. */
export function makeWorkspace(root = tempDir('ws')): string {
  for (const d of ['lineage', 'calibration', 'telemetry', 'activity'])
    fs.mkdirSync(path.join(root, d), { recursive: true });
  return root;
}

/**
 * Starts the real sidecar in this process on port 0 with a fresh data folder and workspace and
 * six tokens (admin, operator, viewer, agent named `agent-1`, the grafana delegation token, and alertmanager).
 */
export async function startTestSidecar(
  opts: { overrides?: ConfigInput; dataDir?: string; workspace?: string } & StartOptions = {}
): Promise<TestSidecar> {
  const dataDir = opts.dataDir ?? tempDir('data');
  const workspace = opts.workspace ?? makeWorkspace();
  const { overrides, dataDir: _d, workspace: _w, ...startOpts } = opts;
  const config = loadConfig({
    env: {},
    overrides: {
      port: 0,
      host: '127.0.0.1',
      node: 'test-node',
      data_dir: dataDir,
      log_level: 'silent',
      tokens: TEST_TOKENS,
      ...overrides,
      watch: { root: workspace, reconcile_interval_ms: 2000, ...overrides?.watch },
    },
  });
  const sidecar = await startSidecar(config, { logger: createLogger('silent'), ...startOpts });
  const url = sidecar.url;
  return {
    sidecar,
    url,
    dataDir,
    workspace,
    call: apiCaller(url),
    stop: () => sidecar.stop(),
  };
}
