import type { Incident, Page, PolicyResponse, StatusResponse } from '../../src/api';
import { TEST_IDS } from '../../src/testIds';
import { expect, renderApp, test } from './fixtures';

const PAGES = [
  { route: 'overview', id: TEST_IDS.pages.overview, role: 'Viewer' },
  { route: 'incidents', id: TEST_IDS.pages.incidents, role: 'Editor' },
  { route: 'agents', id: TEST_IDS.pages.agents, role: 'Viewer' },
  { route: 'lineage', id: TEST_IDS.pages.lineage, role: 'Editor' },
  { route: 'audit', id: TEST_IDS.pages.audit, role: 'Admin' },
  { route: 'policy', id: TEST_IDS.pages.policy, role: 'Editor' },
  { route: 'backtest', id: TEST_IDS.pages.backtest, role: 'Viewer' },
] as const;

test.describe('app pages in a real browser against the demo sidecar', () => {
  for (const p of PAGES) {
    test(`${p.route} renders with live data in light and dark`, async ({ page, harness }) => {
      for (const theme of ['dark', 'light'] as const) {
        await harness.open(page, p.role, theme);
        await renderApp(page, p.route);
        await expect(page.getByTestId(p.id)).toBeVisible();
        await expect(page.getByText(/Cannot (reach|load)/)).toHaveCount(0);
        await page.waitForLoadState('networkidle');
        await harness.screenshot(page, `page-${p.route}`, theme);
      }
    });
  }

  test('an Editor acknowledges an incident; the page shows who did and the note, as the sidecar recorded them', async ({
    page,
    harness,
  }) => {
    let open: Incident[] = [];
    await expect
      .poll(
        async () => (open = (await harness.sidecarGet<Page<Incident>>('api/v1/incidents?status=open')).items).length,
        {
          timeout: 30_000,
        }
      )
      .toBeGreaterThan(0);
    const incident = open[0]!;
    await harness.open(page, 'Editor');
    await renderApp(page, 'incidents');
    const row = page.getByRole('row').filter({ hasText: incident.title });
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByRole('textbox', { name: 'Note' }).fill('looking at the lineage');
    await page.getByRole('dialog').getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByRole('radio', { name: 'Acknowledged' }).click();
    const stored = await harness.sidecarGet<Incident>(`api/v1/incidents/${incident.id}`);
    expect(stored.ack_note).toBe('looking at the lineage');
    const acked = page.getByRole('row').filter({ hasText: incident.title });
    await expect(acked).toContainText(`Acknowledged by ${stored.acknowledged_by}`);
    await expect(acked).toContainText('“looking at the lineage”');
    await harness.screenshot(page, 'page-incidents-acknowledged', 'dark');
  });

  test('overview shows the node and version the sidecar reports', async ({ page, harness }) => {
    const status = await harness.sidecarGet<StatusResponse>('api/v1/status');
    await harness.open(page, 'Viewer');
    await renderApp(page, 'overview');
    const region = page.getByRole('region', { name: 'Status' });
    await expect(region).toContainText(status.node);
    await expect(region).toContainText(status.version);
  });

  test('the policy page shows the policy the sidecar runs, and an Editor dry-runs a change with every problem listed', async ({
    page,
    harness,
  }) => {
    const policy = await harness.sidecarGet<PolicyResponse>('api/v1/policy');
    await harness.open(page, 'Editor');
    await renderApp(page, 'policy');
    await expect(page.getByTestId(TEST_IDS.policy.summary)).toContainText(policy.version);
    for (const r of policy.guardian.rules) await expect(page.getByTestId(TEST_IDS.policy.rules)).toContainText(r.name);
    await page
      .getByTestId(TEST_IDS.policy.validateInput)
      .fill(
        'guardian:\n  rules:\n    - { name: a, type: threshold, metric: x, op: "=>", value: 1 }\n    - { name: a, type: threshold, metric: x, op: ">", value: 1 }\n'
      );
    await page.getByRole('button', { name: 'Validate' }).click();
    const result = page.getByTestId(TEST_IDS.policy.validateResult);
    await expect(result).toContainText('guardian.rules.0.op');
    await expect(result).toContainText('duplicate rule name a');
    await harness.screenshot(page, 'page-policy-validate', 'dark');
    // A Viewer's dry run is refused by the proxy route's reqRole, before the sidecar.
    await harness.open(page, 'Viewer');
    const res = await page.request.post(
      `${harness.server.url}/api/plugin-proxy/lookout-ops-app/api/v1/policy/validate`,
      {
        data: { content: 'guardian: {}' },
      }
    );
    expect(res.status()).toBe(403);
  });

  test('the audit log is refused to an Editor by the proxy and by the page', async ({ page, harness }) => {
    await harness.open(page, 'Editor');
    await renderApp(page, 'audit');
    await expect(page.getByText('Admins only')).toBeVisible();
    const res = await page.request.get(`${harness.server.url}/api/plugin-proxy/lookout-ops-app/api/v1/audit`);
    expect(res.status()).toBe(403);
  });

  test('the config page tests the connection and shows who the sidecar thinks you are', async ({ page, harness }) => {
    for (const theme of ['dark', 'light'] as const) {
      await harness.open(page, 'Admin', theme);
      await page.evaluate(
        (url) =>
          (window as unknown as { lookoutHost: { renderConfig(m: unknown): Promise<void> } }).lookoutHost.renderConfig({
            jsonData: { sidecarUrl: url },
            secureJsonFields: { sidecarToken: true },
          }),
        harness.sidecar.url
      );
      await expect(page.getByTestId(TEST_IDS.appConfig.token)).toHaveValue('configured');
      await page.getByTestId(TEST_IDS.appConfig.test).click();
      await expect(page.getByTestId(TEST_IDS.appConfig.testResult)).toContainText('Connected to the sidecar');
      // Through the real proxy and sidecar: the person behind the delegation token, with their own role.
      await expect(page.getByTestId(TEST_IDS.appConfig.identity)).toContainText(
        'grafana:admin@example.org, acting as admin: Grafana Admin in org 1'
      );
      await expect(page.getByTestId(TEST_IDS.appConfig.identity)).toContainText('delegation token grafana');
      await harness.screenshot(page, 'config', theme);
    }
  });
});
