import type { PanelEditPage } from '@grafana/plugin-e2e';
import { TEST_IDS } from '../../src/testIds';
import { expect, test } from './fixtures';

test.skip(!process.env.GRAFANA_URL, 'GRAFANA_URL is not set');

async function addPanel(panelEditPage: PanelEditPage, type: string): Promise<void> {
  await panelEditPage.setVisualization(type);
}

test('the gallery shows the simulator images', async ({ panelEditPage, page }) => {
  await addPanel(panelEditPage, 'Lookout calibration gallery');
  const img = page.getByTestId(TEST_IDS.gallery.root).locator('img').first();
  await expect(img).toBeVisible();
  await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0)).toBe(true);
});

test('the lineage panel draws generations', async ({ panelEditPage, page }) => {
  await addPanel(panelEditPage, 'Lookout lineage');
  await expect(page.locator('[data-testid^="data-testid lookout-lineage-node-"]').first()).toBeVisible();
});

test('the feed goes live over SSE through the Grafana proxy', async ({ panelEditPage, page }) => {
  await addPanel(panelEditPage, 'Lookout live feed');
  await expect(page.getByTestId(TEST_IDS.feed.mode)).toContainText('live');
  await expect(page.getByTestId(TEST_IDS.feed.list).getByRole('listitem').first()).toBeVisible({ timeout: 30_000 });
});

test('the actions panel plans and applies a kill, then releases it', async ({ panelEditPage, page, request }) => {
  await addPanel(panelEditPage, 'Lookout actions');
  await page.getByTestId(TEST_IDS.actionsPanel.button('kill')).click();
  const modal = page.getByTestId(TEST_IDS.actionFlow.modal);
  await modal.getByTestId(TEST_IDS.actionFlow.reason).fill('plugin-e2e: engage');
  await modal.getByTestId(TEST_IDS.actionFlow.apply).click();
  await expect(modal.getByTestId(TEST_IDS.actionFlow.status)).toContainText(/status: (applied|verified)/);
  const status = await request.get('/api/plugin-proxy/lookout-ops-app/api/v1/status');
  expect((await status.json()).kill_switch.engaged).toBe(true);
  await modal.getByRole('button', { name: 'Close' }).click();
  await page.getByTestId(TEST_IDS.actionsPanel.button('kill_release')).click();
  await modal.getByTestId(TEST_IDS.actionFlow.reason).fill('plugin-e2e: release');
  await modal.getByTestId(TEST_IDS.actionFlow.apply).click();
  await expect(modal.getByTestId(TEST_IDS.actionFlow.status)).toContainText(/status: (applied|verified)/);
});
