import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Builds the harness host bundle once per run; the plugin itself must already be built (`npm run build`). */
export default function globalSetup(): void {
  const root = path.resolve(__dirname, '../..');
  if (!fs.existsSync(path.join(root, 'dist/module.js'))) {
    throw new Error('grafana-plugins/dist is missing: run `npm run build -w grafana-plugins` first');
  }
  execFileSync(
    process.execPath,
    [require.resolve('webpack-cli/bin/cli.js', { paths: [root] }), '-c', 'tests/browser/host/webpack.config.ts'],
    {
      cwd: root,
      stdio: 'inherit',
    }
  );
}
