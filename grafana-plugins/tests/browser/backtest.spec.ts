import type { BacktestResult, BacktestRun, Page } from '../../src/api';
import { TEST_IDS } from '../../src/testIds';
import { expect, renderApp, test } from './fixtures';

test.describe('the Backtest page in a real browser against the demo sidecar', () => {
  test('the Backtest page runs a backtest and shows the would-fire points', async ({ page, harness }) => {
    // The harness's guardian rule fires on the workload's lineage updates: wait until it really has, so the range
    // holds a decision to reproduce.
    await expect
      .poll(
        async () =>
          (await harness.sidecarGet<Page<{ kind: string; subject: string }>>('api/v1/feeds/guardian?kind=rule.fired'))
            .items.length,
        { timeout: 30_000 }
      )
      .toBeGreaterThan(0);
    for (const theme of ['dark', 'light'] as const) {
      await harness.open(page, 'Editor', theme);
      await renderApp(page, 'backtest');
      await expect(page.getByTestId(TEST_IDS.pages.backtest)).toBeVisible();
      await page.getByTestId(TEST_IDS.backtest.range).getByRole('radio', { name: '15 minutes' }).check();
      await page.getByTestId(TEST_IDS.backtest.run).click();
      const chart = page.getByTestId(TEST_IDS.backtest.chart);
      await expect(chart).toBeVisible({ timeout: 30_000 });
      // The run the page made, as the sidecar kept it: the page shows its would-fire points and ticks.
      const runs = await harness.sidecarGet<Page<BacktestRun>>('api/v1/backtests?limit=1');
      const run = runs.items[0]!;
      expect(run).toMatchObject({ status: 'succeeded', rules_from: 'running', actor: 'grafana:editor@example.org' });
      const result = await harness.sidecarGet<BacktestResult>(`api/v1/backtests/${run.id}/result`);
      const fired = result.fires.filter((f) => f.rule === 'harness_lineage');
      expect(fired.length).toBeGreaterThan(0);
      await expect(chart).toHaveAttribute('data-rule', 'harness_lineage');
      await expect(chart).toHaveAttribute('data-would-fire', String(fired.length));
      // Grafana's own time series drew it (uPlot's canvas), with the would-fire series in its legend.
      await expect(chart.locator('canvas').first()).toBeVisible();
      await expect(chart.getByText('would fire', { exact: true })).toBeVisible();
      const rows = page.getByTestId(TEST_IDS.backtest.fires).getByRole('row');
      await expect(rows).toHaveCount(result.fires.length + 1);
      await expect(page.getByTestId(TEST_IDS.backtest.fireRow(0))).toContainText(result.fires[0]!.at.slice(11, 19));
      // It reproduced what the guardian really did in the range.
      await expect(page.getByTestId(TEST_IDS.backtest.diffs)).toContainText(/same|earlier|later/);
      await harness.screenshot(page, 'page-backtest-result', theme);
    }
  });

  test('a Viewer reads past backtests but cannot run one, and the proxy refuses it too', async ({ page, harness }) => {
    await harness.open(page, 'Viewer');
    await renderApp(page, 'backtest');
    await expect(page.getByTestId(TEST_IDS.backtest.run)).toHaveAttribute('aria-disabled', 'true');
    const res = await page.request.post(`${harness.server.url}/api/plugin-proxy/lookout-ops-app/api/v1/backtests`, {
      data: { from: new Date(Date.now() - 60_000).toISOString() },
    });
    expect(res.status()).toBe(403);
  });
});
