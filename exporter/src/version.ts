import fs from 'node:fs';
import path from 'node:path';

/** The exporter package version, read once from its package.json (works from src/ and dist/). */
export const VERSION: string = (() => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
})();
