import { TEST_IDS } from '../../src/testIds';
import { expect, test } from './fixtures';

test.skip(!process.env.GRAFANA_URL, 'GRAFANA_URL is not set');

// plugin-e2e creates this org Viewer and signs in as them.
test.use({ user: { user: 'lookout-viewer', password: 'lookout-viewer-pw', role: 'Viewer' } });

test('a viewer sees control buttons disabled with the reason', async ({ gotoPage, page }) => {
  await gotoPage('/lineage');
  await page.locator('[data-testid^="data-testid lookout-lineage-node-"]').first().click();
  await expect(page.getByRole('button', { name: /Roll back to/ })).toBeDisabled();
  await expect(page.getByText(/Requires the Editor role/)).toBeVisible();
});

test('a viewer is refused control routes by the Grafana proxy', async ({ page }) => {
  const res = await page.request.post('/api/plugin-proxy/lookout-ops-app/api/v1/actions/kill/plan', { data: {} });
  expect(res.status()).toBe(403);
  await expect(page.getByTestId(TEST_IDS.pages.lineage)).toHaveCount(0);
});
