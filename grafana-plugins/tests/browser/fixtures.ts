import { test as base, expect, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { grafanaContext, startHarnessServer, type HarnessServer, type OrgRole } from './server';
import { demoAvailable, DEMO_SCRIPT, startSidecar, type Sidecar } from './sidecar';

export const ROOT = path.resolve(__dirname, '../..');
export const SCREENSHOTS = path.join(ROOT, 'test-output/screenshots');

type Theme = 'light' | 'dark';

export interface Harness {
  sidecar: Sidecar;
  server: HarnessServer;
  /** Opens the harness page as a Grafana user with `role`, in `theme`. */
  open(page: Page, role: OrgRole, theme?: Theme): Promise<void>;
  /** Calls the sidecar directly (not through the proxy) with the Grafana token as an Admin, to check its state. */
  sidecarGet<T>(p: string): Promise<T>;
  screenshot(page: Page, name: string, theme: Theme): Promise<void>;
}

export const test = base.extend<object, { harness: Harness }>({
  harness: [
    async ({}, use) => {
      if (!demoAvailable()) {
        throw new Error(`${DEMO_SCRIPT} is missing: build the example workload first (npm run build -w examples)`);
      }
      const sidecar = await startSidecar();
      const server = await startHarnessServer({ root: ROOT, sidecarUrl: sidecar.url, sidecarToken: sidecar.token });
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      await use({
        sidecar,
        server,
        async open(page, role, theme = 'dark') {
          await page.goto(`${server.url}/?role=${role}&theme=${theme}&login=${role.toLowerCase()}@example.org`);
          await page.waitForFunction(
            () => (window as unknown as { __lookoutHostReady?: boolean }).__lookoutHostReady === true
          );
        },
        async sidecarGet<T>(p: string): Promise<T> {
          const res = await fetch(`${sidecar.url}/${p.replace(/^\//, '')}`, {
            headers: {
              Authorization: `Bearer ${sidecar.token}`,
              'X-Grafana-Context': grafanaContext('harness-check@example.org', 'Admin'),
            },
          });
          expect(res.ok, `GET ${p} → ${res.status}`).toBe(true);
          return (await res.json()) as T;
        },
        async screenshot(page, name, theme) {
          await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${theme}.png`), fullPage: true });
        },
      });
      await server.close();
      await sidecar.stop();
    },
    { scope: 'worker' },
  ],
});

export { expect };

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
