import { test as base, expect, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { type Generation, GENERATIONS, startHarnessServer, type HarnessServer, type OrgRole } from './server';
import { grafanaContext } from './plugin-proxy';
import { demoAvailable, DEMO_SCRIPT, startSidecar, type Sidecar } from './sidecar';

export const ROOT = path.resolve(__dirname, '../..');
/** Screenshots per Grafana generation: test-output/screenshots/grafana-<generation>/. */
export const SCREENSHOTS = path.join(ROOT, 'test-output/screenshots');

type Theme = 'light' | 'dark';

export interface Harness {
  /** The Grafana generation whose shared modules the page loads (the Playwright project's option). */
  generation: Generation;
  sidecar: Sidecar;
  server: HarnessServer;
  /** Opens the harness page as a Grafana user with `role`, in `theme`. */
  open(page: Page, role: OrgRole, theme?: Theme): Promise<void>;
  /** Calls the sidecar directly (not through the proxy) with the Grafana token, to check its state. */
  sidecarGet<T>(p: string): Promise<T>;
  /** Changes the sidecar's state directly (as a Grafana Admin, not through the page), to arrange a test. */
  sidecarSend<T>(method: 'POST' | 'PATCH' | 'DELETE', p: string, body?: unknown): Promise<T>;
  screenshot(page: Page, name: string, theme: Theme): Promise<void>;
}

export const test = base.extend<
  object,
  { generation: Generation; sidecarEnv: Record<string, string>; harness: Harness }
>({
  generation: ['12.4', { option: true, scope: 'worker' }],
  /** More `LOOKOUT_*` settings for the demo sidecar; a spec that needs its own (`test.use`) gets its own worker. */
  sidecarEnv: [{}, { option: true, scope: 'worker' }],
  harness: [
    async ({ generation, sidecarEnv }, use) => {
      if (!demoAvailable()) {
        throw new Error(`${DEMO_SCRIPT} is missing: build the example workload first (npm run build -w examples)`);
      }
      // One guardian rule that fires on the workload's own lineage updates, so the Incidents page has one to handle.
      const sidecar = await startSidecar({
        env: {
          LOOKOUT_GUARDIAN_TICK_MS: '500',
          LOOKOUT_GUARDIAN_RULES: JSON.stringify([
            {
              name: 'harness_lineage',
              type: 'event_rate',
              window: '30m',
              kind: 'lineage.*',
              value: 0,
              title: 'Lineage moved',
            },
          ]),
          ...sidecarEnv,
        },
      });
      const server = await startHarnessServer({
        root: ROOT,
        generation,
        sidecarUrl: sidecar.url,
        sidecarToken: sidecar.token,
        // Grafana's default: no X-Grafana-User. The sidecar names the person from X-Grafana-Context alone.
        sendUserHeader: false,
      });
      const screenshots = path.join(SCREENSHOTS, `grafana-${generation}`);
      fs.mkdirSync(screenshots, { recursive: true });
      await use({
        generation,
        sidecar,
        server,
        async open(page, role, theme = 'dark') {
          await page.goto(`${server.url}/?role=${role}&theme=${theme}&login=${role.toLowerCase()}@example.org`);
          await page.waitForFunction(
            () => (window as unknown as { __lookoutHostReady?: boolean }).__lookoutHostReady === true
          );
          // The page really shares this generation's modules with the plugin.
          const shared = await page.evaluate(
            () => (window as unknown as { lookoutHost: { shared: Record<string, string> } }).lookoutHost.shared
          );
          expect(shared['react']!.split('.')[0]).toBe(String(GENERATIONS[generation].react));
          expect(shared['@grafana/ui']).toBe(GENERATIONS[generation].version);
        },
        async sidecarGet<T>(p: string): Promise<T> {
          const res = await fetch(`${sidecar.url}/${p.replace(/^\//, '')}`, { headers: asHarnessAdmin(sidecar.token) });
          expect(res.ok, `GET ${p} → ${res.status}`).toBe(true);
          return (await res.json()) as T;
        },
        async sidecarSend<T>(method: 'POST' | 'PATCH' | 'DELETE', p: string, body?: unknown): Promise<T> {
          const res = await fetch(`${sidecar.url}/${p.replace(/^\//, '')}`, {
            method,
            headers: {
              ...asHarnessAdmin(sidecar.token),
              ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
            },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          const text = await res.text();
          expect(res.ok, `${method} ${p} → ${res.status} ${text}`).toBe(true);
          return (text ? JSON.parse(text) : undefined) as T;
        },
        async screenshot(page, name, theme) {
          await page.screenshot({ path: path.join(screenshots, `${name}-${theme}.png`), fullPage: true });
        },
      });
      await server.close();
      await sidecar.stop();
    },
    { scope: 'worker' },
  ],
});

export { expect };

/** The delegation token acts only for a person: the harness's own checks act as a Grafana Admin. */
function asHarnessAdmin(token: string): Record<string, string> {
  return {
    Authorization: `Bearer ${token}`,
    'X-Grafana-Context': grafanaContext({
      userId: 1,
      login: 'harness-check',
      name: 'harness-check',
      email: 'harness-check@example.org',
      orgId: 1,
      orgName: 'Main Org.',
      orgRole: 'Admin',
      isGrafanaAdmin: false,
      isAnonymous: false,
    }),
  };
}

export async function renderPanel(
  page: Page,
  panel: string,
  options: Record<string, unknown> = {},
  size = { width: 1000, height: 520 }
): Promise<void> {
  await page.evaluate(
    ([p, o, s]) =>
      (window as unknown as { lookoutHost: { renderPanel(r: unknown): Promise<void> } }).lookoutHost.renderPanel({
        panel: p,
        options: o,
        ...s,
      }),
    [panel, options, size] as const
  );
}

export async function renderApp(page: Page, route: string): Promise<void> {
  await page.evaluate(
    (r) =>
      (window as unknown as { lookoutHost: { renderApp(p: string): Promise<void> } }).lookoutHost.renderApp(
        `/a/lookout-ops-app/${r}`
      ),
    route
  );
}
