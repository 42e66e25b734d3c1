import { defineConfig } from '@playwright/test';
import { CHROMIUM_LAUNCH } from './chromium';
import type { Generation } from './server';

const chromium = {
  browserName: 'chromium' as const,
  viewport: { width: 1280, height: 800 },
  launchOptions: CHROMIUM_LAUNCH,
};
const BROWSER_SPECS = /(app|backtest|control|delegation|diagnostics|fleet|live|panels)\.spec\.ts$/;

/**
 * The built plugins in Debian Chromium against the real sidecar and example workload, once per Grafana generation
 * (the same dist/, each page sharing that generation's modules), plus the harness's own checks that need no browser.
 */
export default defineConfig<{ generation: Generation }>({
  testDir: '.',
  fullyParallel: false,
  workers: 1,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  outputDir: '../../test-output/browser-results',
  globalSetup: './global-setup.ts',
  projects: [
    { name: 'harness', testMatch: /(plugin-proxy|bundle)\.spec\.ts$/ },
    { name: 'grafana-12.4', testMatch: BROWSER_SPECS, use: { ...chromium, generation: '12.4' } },
    { name: 'grafana-13.2', testMatch: BROWSER_SPECS, use: { ...chromium, generation: '13.2' } },
  ],
});
