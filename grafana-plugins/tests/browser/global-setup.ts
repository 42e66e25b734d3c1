import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Bundles the harness host page once per Grafana generation (tests/browser/host/webpack.config.ts); the plugin itself
 * must already be built (`npm run build`), and both pages load that same dist/.
 */
export default function globalSetup(): void {
  const root = path.resolve(__dirname, '../..');
  if (!fs.existsSync(path.join(root, 'dist/module.js'))) {
    throw new Error('grafana-plugins/dist is missing: run `npm run build -w grafana-plugins` first');
  }
  const webpackCli = require.resolve('webpack-cli/bin/cli.js', { paths: [root] });
  for (const generation of ['12.4', '13.2']) {
    execFileSync(
      process.execPath,
      [
        webpackCli,
        '-c',
        'tests/browser/host/webpack.config.ts',
        '--env',
        `grafana=${generation}`,
        '--stats',
        'errors-only',
      ],
      { cwd: root, stdio: 'inherit' }
    );
  }
}
