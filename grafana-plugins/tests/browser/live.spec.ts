import fs from 'node:fs';
import path from 'node:path';
import type { CalibrationImage, LineageResponse, Page as ApiPage } from '../../src/api';
import { TEST_IDS } from '../../src/testIds';
import { expect, renderPanel, test } from './fixtures';

/**
 * The workload's own writes would race the test's: with a tick of an hour the example workload writes its first
 * lineage and images and then leaves the workspace to the test.
 */
test.use({ sidecarEnv: { LOOKOUT_DEMO_TICK_MS: '3600000' } });

/** Writes a file the way the workload does (temp file, then rename), so the watcher sees it complete. */
function writeAtomic(file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, content);
  fs.renameSync(`${file}.tmp`, file);
}

interface LineageDoc {
  model: string;
  generations: Array<{ id: string; parent: string | null; status: string; [k: string]: unknown }>;
}

test.describe('live panels: a change on disk shows without a reload', () => {
  test('a new generation and a status change written to lineage/ show in the lineage panel within 2 s, with the zoom and the selection kept', async ({
    page,
    harness,
  }) => {
    let before: LineageResponse = { model: null, generations: [], active: null, canary: null, updated_at: null };
    await expect
      .poll(async () => (before = await harness.sidecarGet<LineageResponse>('api/v1/lineage')).generations.length, {
        timeout: 30_000,
      })
      .toBeGreaterThan(1);
    const target = before.generations.find((g) => g.status !== 'active')!;

    await harness.open(page, 'Viewer');
    await renderPanel(page, 'lineage');
    await expect(page.getByTestId(TEST_IDS.lineage.stream)).toHaveAttribute('data-mode', 'live');
    const svg = page.getByTestId(TEST_IDS.lineage.svg);
    await expect(svg).toBeVisible();
    // The user's own view: zoomed out twice from the fit, and one generation open.
    await page.getByRole('group', { name: /Lineage graph/ }).focus();
    await page.keyboard.press('-');
    await page.keyboard.press('-');
    const zoomed = await svg.getAttribute('data-transform');
    await page.getByTestId(TEST_IDS.lineage.node(target.id)).click();
    await expect(page.getByTestId(TEST_IDS.lineage.details)).toBeVisible();
    const summary = page.getByLabel('Lineage summary');
    await expect(summary).toContainText(`${before.generations.length} generations`);

    const file = path.join(harness.sidecar.workspace, 'lineage', 'lineage_index.json');
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as LineageDoc;
    const newId = `live-${Date.now()}`;
    doc.generations = doc.generations.map((g) => (g.id === target.id ? { ...g, status: 'failed' } : g));
    doc.generations.push({
      id: newId,
      parent: target.id,
      status: 'candidate',
      created_at: new Date().toISOString(),
      kpis: {},
      artifacts: [],
    });
    const written = Date.now();
    writeAtomic(file, JSON.stringify(doc, null, 2));

    await expect(summary).toContainText(`${before.generations.length + 1} generations`, { timeout: 2000 });
    await expect(page.getByTestId(TEST_IDS.lineage.node(target.id))).toHaveAttribute('data-status', 'failed', {
      timeout: 2000,
    });
    expect(Date.now() - written).toBeLessThan(2000);
    // No reload: the zoom is the user's, the selection still open.
    expect(await svg.getAttribute('data-transform')).toBe(zoomed);
    await expect(page.getByTestId(TEST_IDS.lineage.details)).toBeVisible();
    await harness.screenshot(page, 'lineage-panel-live', 'dark');
    // The new generation is in the graph: fitting the view shows it.
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    await page.getByRole('group', { name: /Lineage graph/ }).focus();
    await page.keyboard.press('0');
    await expect(page.getByTestId(TEST_IDS.lineage.node(newId))).toHaveAttribute('data-status', 'candidate');
  });

  test('an image written to calibration/ shows in the gallery within 2 s, with the filter kept', async ({
    page,
    harness,
  }) => {
    // The workload's first images, once the sidecar has them.
    let images: ApiPage<CalibrationImage> = { items: [], next_cursor: null };
    await expect
      .poll(
        async () =>
          (images = await harness.sidecarGet<ApiPage<CalibrationImage>>('api/v1/artifacts/calibration?limit=500')).items
            .length,
        { timeout: 30_000 }
      )
      .toBeGreaterThan(0);
    const generation = images.items[0]!.generation;
    const inGeneration = images.items.filter((i) => i.generation === generation).length;
    const source = path.join(harness.sidecar.workspace, 'calibration', generation);
    const png = fs.readdirSync(source).find((f) => f.endsWith('.png'))!;

    await harness.open(page, 'Viewer');
    await renderPanel(page, 'gallery');
    const gallery = page.getByTestId(TEST_IDS.gallery.root);
    await expect(page.getByTestId(TEST_IDS.gallery.stream)).toHaveAttribute('data-mode', 'live');
    // The user filters to one generation.
    const filter = gallery.getByRole('combobox', { name: 'Generation' });
    await filter.click();
    await filter.fill(generation);
    await page.getByRole('option', { name: generation, exact: true }).click();
    await expect(filter).toHaveValue(generation);
    const tiles = gallery.locator('button[role=listitem]');
    await expect(tiles).toHaveCount(inGeneration);

    const name = `live-${Date.now()}`;
    writeAtomic(
      path.join(source, `${name}.json`),
      JSON.stringify({ title: `live ${name}`, metric: 'ece', created_at: new Date().toISOString() })
    );
    const written = Date.now();
    writeAtomic(path.join(source, `${name}.png`), fs.readFileSync(path.join(source, png)));

    await expect(gallery.getByRole('img', { name: `live ${name}` })).toBeVisible({ timeout: 2000 });
    expect(Date.now() - written).toBeLessThan(2000);
    await expect(tiles).toHaveCount(inGeneration + 1);
    await expect(filter).toHaveValue(generation);
    await harness.screenshot(page, 'gallery-panel-live', 'dark');
  });
});
