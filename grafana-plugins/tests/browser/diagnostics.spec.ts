import type { DiagnosticDetail } from '../../src/api';
import { TEST_IDS } from '../../src/testIds';
import { expect, renderApp, test } from './fixtures';

const PROXY = '/api/plugin-proxy/lookout-ops-app';

test.describe('diagnostics page in a real browser against the demo sidecar', () => {
  test('an Editor creates a diagnostic, starts it, comments, and finds it filtered by status', async ({
    page,
    harness,
  }) => {
    for (const theme of ['dark', 'light'] as const) {
      const title = `Harness disk pressure ${theme} ${Date.now()}`;
      await harness.open(page, 'Editor', theme);
      await renderApp(page, 'diagnostics');
      await expect(page.getByTestId(TEST_IDS.pages.diagnostics)).toBeVisible();
      await expect(page.getByTestId(TEST_IDS.diagnostics.analytics)).toBeVisible();

      // Create.
      await page.getByTestId(TEST_IDS.diagnostics.create).click();
      const form = page.getByTestId(TEST_IDS.diagnostics.form);
      await form.getByRole('textbox', { name: /^Title/ }).fill(title);
      await form.getByRole('textbox', { name: 'Description' }).fill('Written by the browser harness.');
      await form.getByRole('radio', { name: 'Critical' }).check();
      await form.getByRole('textbox', { name: /^Tags/ }).fill('harness');
      await form.getByRole('textbox', { name: /^Tags/ }).press('Enter');
      await form.getByRole('button', { name: 'Create' }).click();

      // The new diagnostic opens in the detail drawer.
      const drawer = page.getByTestId(TEST_IDS.diagnostics.drawer);
      await expect(page.getByRole('heading', { name: new RegExp(`^D-\\d+ · ${title}$`) })).toBeVisible();
      const heading = await page.getByRole('heading', { name: new RegExp(`· ${title}$`) }).textContent();
      const id = /^(D-\d+)/.exec(heading ?? '')![1]!;
      await expect(drawer.getByTestId(TEST_IDS.diagnostics.status)).toHaveText('Open');

      // Transition open → in_progress, with a note.
      await drawer.getByTestId(TEST_IDS.diagnostics.transition('in_progress')).click();
      const move = page.getByRole('dialog', { name: `Move ${id} from Open to In progress` });
      await move.getByRole('textbox', { name: 'Note' }).fill('harness: taking it');
      await move.getByRole('button', { name: 'Start progress' }).click();
      await expect(drawer.getByTestId(TEST_IDS.diagnostics.status)).toHaveText('In progress');

      // Comment.
      await drawer.getByRole('textbox', { name: 'Comment' }).fill('harness: volume resized');
      await drawer.getByRole('button', { name: 'Add comment' }).click();
      await expect(drawer.getByTestId(TEST_IDS.diagnostics.comments)).toContainText('harness: volume resized');
      // History says who did it: the person Grafana's proxy names (fixtures.ts), not something the page sent.
      await expect(drawer.getByTestId(TEST_IDS.diagnostics.history)).toContainText('editor@example.org');
      await expect(drawer.getByTestId(TEST_IDS.diagnostics.history)).toContainText('status: open → in_progress');
      await expect(page.getByTestId(TEST_IDS.diagnostics.estimate)).toContainText(`Estimate for ${id}`);
      await page.waitForLoadState('networkidle');
      await harness.screenshot(page, 'diagnostics-detail', theme);

      // The sidecar holds what the page did.
      const stored = await harness.sidecarGet<DiagnosticDetail>(`api/v1/diagnostics/${id}`);
      expect(stored).toMatchObject({ title, severity: 'critical', status: 'in_progress', tags: ['harness'] });
      expect(stored.comments.map((c) => c.body)).toContain('harness: volume resized');

      // Back to the list, filtered by status.
      await page.getByRole('button', { name: 'Close', exact: true }).click();
      await expect(drawer).toHaveCount(0);
      const filters = page.getByTestId(TEST_IDS.diagnostics.filters);
      await filters.getByRole('radio', { name: 'In progress' }).check();
      const row = page.getByTestId(TEST_IDS.diagnostics.row(id));
      await expect(row).toContainText(title);
      await expect(row).toContainText('In progress');
      await filters.getByRole('radio', { name: 'Open', exact: true }).check();
      await expect(row).toHaveCount(0);
      await filters.getByRole('radio', { name: 'In progress' }).check();
      await expect(row).toBeVisible();
      await page.waitForLoadState('networkidle');
      await harness.screenshot(page, 'diagnostics-list', theme);
    }

    const writes = harness.server.proxied.filter((r) => r.method !== 'GET' && r.path.startsWith('api/v1/diagnostics'));
    expect(writes.map((r) => `${r.method} ${r.path.replace(/D-\d+/, ':id')} ${r.status}`)).toEqual(
      Array(2)
        .fill([
          'POST api/v1/diagnostics 201',
          'POST api/v1/diagnostics/:id/transition 200',
          'POST api/v1/diagnostics/:id/comments 201',
        ])
        .flat()
    );
  });

  test('a Viewer reads diagnostics but cannot create or change one', async ({ page, harness }) => {
    const { items } = await harness.sidecarGet<{ items: Array<{ id: string }> }>('api/v1/diagnostics?limit=1');
    for (const theme of ['dark', 'light'] as const) {
      await harness.open(page, 'Viewer', theme);
      await renderApp(page, 'diagnostics');
      await expect(page.getByTestId(TEST_IDS.pages.diagnostics)).toBeVisible();
      await expect(page.getByText(/Cannot load/)).toHaveCount(0);
      await expect(page.getByTestId(TEST_IDS.diagnostics.create)).toBeDisabled();
      await page.getByTestId(TEST_IDS.diagnostics.create).hover();
      await expect(page.getByText('Requires the Editor role (you are Viewer)')).toBeVisible();
      await page.waitForLoadState('networkidle');
      await harness.screenshot(page, 'diagnostics-viewer', theme);
    }
    if (items[0]) {
      await renderApp(page, `diagnostics/${items[0].id}`);
      const drawer = page.getByTestId(TEST_IDS.diagnostics.drawer);
      await expect(drawer.getByTestId(TEST_IDS.diagnostics.edit)).toBeDisabled();
      await expect(drawer.getByRole('button', { name: 'Add comment' })).toBeDisabled();
    }
    // The proxy, not only the page, refuses a Viewer's write and serves the Viewer's read.
    const denied = await page.request.post(`${harness.server.url}${PROXY}/api/v1/diagnostics`, {
      data: { title: 'from a viewer' },
    });
    expect(denied.status()).toBe(403);
    const patch = await page.request.patch(`${harness.server.url}${PROXY}/api/v1/diagnostics/D-1`, {
      data: { title: 'from a viewer' },
    });
    expect(patch.status()).toBe(403);
    const read = await page.request.get(`${harness.server.url}${PROXY}/api/v1/diagnostics/analytics`);
    expect(read.status()).toBe(200);
  });
});
