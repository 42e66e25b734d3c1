import fs from 'node:fs';
import path from 'node:path';
import type { LineageResponse, StatusResponse } from '../../src/api';
import { TEST_IDS } from '../../src/testIds';
import { expect, renderPanel, test } from './fixtures';

test.describe('panels in a real browser against the demo sidecar', () => {
  test('the gallery shows the simulator calibration images through the plugin proxy', async ({ page, harness }) => {
    for (const theme of ['dark', 'light'] as const) {
      await harness.open(page, 'Viewer', theme);
      await renderPanel(page, 'gallery');
      const firstImg = page.getByTestId(TEST_IDS.gallery.root).locator('img').first();
      await expect(firstImg).toBeVisible();
      // The image really decoded: it came back from the sidecar through the proxy with the injected token.
      await expect
        .poll(() => firstImg.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0))
        .toBe(true);
      expect(await firstImg.getAttribute('src')).toMatch(
        /^\/api\/plugin-proxy\/lookout-ops-app\/api\/v1\/artifacts\/calibration\/.+\/image$/
      );
      await harness.screenshot(page, 'gallery-panel', theme);
    }
    await page.getByTestId(TEST_IDS.gallery.root).locator('button[role=listitem]').first().click();
    await expect(page.getByTestId(TEST_IDS.gallery.viewer)).toBeVisible();
    await page.keyboard.press('Escape');
  });

  test('the lineage panel draws every generation the sidecar serves', async ({ page, harness }) => {
    const lineage = await harness.sidecarGet<LineageResponse>('api/v1/lineage');
    expect(lineage.generations.length).toBeGreaterThan(0);
    for (const theme of ['dark', 'light'] as const) {
      await harness.open(page, 'Viewer', theme);
      await renderPanel(page, 'lineage');
      await expect(page.getByTestId(TEST_IDS.lineage.svg)).toBeVisible();
      const drawn = page.locator('[data-testid^="data-testid lookout-lineage-node-"]');
      await expect.poll(() => drawn.count()).toBeGreaterThanOrEqual(lineage.generations.length);
      // The demo workload goes on promoting while the test runs (and the panel is live): the generation
      // drawn active is the one the sidecar serves as active now, not when the test began.
      await expect
        .poll(async () => {
          const now = await harness.sidecarGet<LineageResponse>('api/v1/lineage');
          if (!now.active) return 'no active generation';
          return page.getByTestId(TEST_IDS.lineage.node(now.active)).getAttribute('data-status', { timeout: 1000 });
        })
        .toBe('active');
      await harness.screenshot(page, 'lineage-panel', theme);
    }
    await page.locator('[data-testid^="data-testid lookout-lineage-node-"]').first().click();
    await expect(page.getByTestId(TEST_IDS.lineage.details)).toBeVisible();
  });

  test('the feed shows a new event within 2 s of a file change in the workspace', async ({ page, harness }) => {
    await harness.open(page, 'Viewer', 'dark');
    await renderPanel(page, 'feed', { feeds: ['all'], minSeverity: 'debug' });
    await expect(page.getByTestId(TEST_IDS.feed.mode)).toContainText('live');
    const name = `harness-${Date.now()}.json`;
    const file = path.join(harness.sidecar.workspace, 'activity', name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const written = Date.now();
    fs.writeFileSync(file, JSON.stringify({ id: name, type: 'test', status: 'done', result: 'ok' }));
    await expect(page.getByTestId(TEST_IDS.feed.list)).toContainText(name, { timeout: 2000 });
    expect(Date.now() - written).toBeLessThan(2000);
    await harness.screenshot(page, 'feed-panel', 'dark');
    await harness.open(page, 'Viewer', 'light');
    await renderPanel(page, 'feed', { feeds: ['all'], minSeverity: 'debug' });
    await expect(page.getByTestId(TEST_IDS.feed.list)).toContainText(name);
    await harness.screenshot(page, 'feed-panel', 'light');
  });

  test('the actions panel plans and applies a kill, and the sidecar reports it engaged', async ({ page, harness }) => {
    await harness.open(page, 'Admin', 'dark');
    await renderPanel(page, 'actions', { buttons: ['kill', 'kill_release', 'retrain'] });
    await page.getByTestId(TEST_IDS.actionsPanel.button('kill')).click();
    const modal = page.getByTestId(TEST_IDS.actionFlow.modal);
    await expect(modal.getByTestId(TEST_IDS.actionFlow.changes)).toBeVisible();
    await expect(modal.getByTestId(TEST_IDS.actionFlow.apply)).toBeDisabled();
    await harness.screenshot(page, 'actions-plan', 'dark');
    await modal.getByTestId(TEST_IDS.actionFlow.reason).fill('harness: engage the kill switch');
    await modal.getByTestId(TEST_IDS.actionFlow.apply).click();
    await expect(modal.getByTestId(TEST_IDS.actionFlow.status)).toContainText(/status: (applied|verified)/);
    const status = await harness.sidecarGet<StatusResponse>('api/v1/status');
    expect(status.kill_switch.engaged).toBe(true);
    expect(
      harness.server.proxied.some(
        (r) => r.method === 'POST' && r.path === 'api/v1/actions/kill/apply' && r.status === 202
      )
    ).toBe(true);
    await modal.getByRole('button', { name: 'Close' }).click();
    await expect(page.getByTestId(TEST_IDS.killSwitch.banner)).toContainText('Kill switch engaged');
    await expect(page.getByTestId(TEST_IDS.actionsPanel.button('retrain'))).toBeDisabled();
    await harness.screenshot(page, 'actions-panel-engaged', 'dark');

    // Release again (an Admin-only route) so later tests see a running workload.
    await page.getByTestId(TEST_IDS.actionsPanel.button('kill_release')).click();
    await modal.getByTestId(TEST_IDS.actionFlow.reason).fill('harness: release');
    await modal.getByTestId(TEST_IDS.actionFlow.apply).click();
    await expect(modal.getByTestId(TEST_IDS.actionFlow.status)).toContainText(/status: (applied|verified)/);
    expect((await harness.sidecarGet<StatusResponse>('api/v1/status')).kill_switch.engaged).toBe(false);
  });

  test('a Viewer sees control buttons disabled, and the proxy refuses control routes', async ({ page, harness }) => {
    for (const theme of ['dark', 'light'] as const) {
      await harness.open(page, 'Viewer', theme);
      await renderPanel(page, 'actions', {
        buttons: ['kill', 'kill_release', 'retrain', 'canary_promote', 'rollback', 'flush_guardrails'],
      });
      await expect(page.getByText(/Kill switch (released|engaged)/)).toBeVisible();
      for (const name of ['kill', 'kill_release', 'retrain', 'canary_promote', 'rollback', 'flush_guardrails']) {
        await expect(page.getByTestId(TEST_IDS.actionsPanel.button(name))).toBeDisabled();
        await expect(page.getByTestId(TEST_IDS.actionsPanel.disabledReason(name))).toContainText('Requires the');
      }
      await harness.screenshot(page, 'actions-panel-viewer', theme);
    }
    const res = await page.request.post(
      `${harness.server.url}/api/plugin-proxy/lookout-ops-app/api/v1/actions/kill/plan`,
      { data: {} }
    );
    expect(res.status()).toBe(403);
  });
});
