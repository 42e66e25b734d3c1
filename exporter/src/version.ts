import fs from 'node:fs';
import path from 'node:path';

export class VersionNotFoundError extends Error {
  override name = 'VersionNotFoundError';
}

const PACKAGE_NAME = '@lookout/exporter';

/**
 * The exporter package version, read once from its package.json: the nearest one named
 * `@lookout/exporter` above this file. That is `../package.json` from `src/` and `dist/`, and two
 * levels up from `dist-bench/src/`, so no build step has to copy package.json next to its output.
 */
export function findVersion(startDir: string): string {
  for (let dir = startDir; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    let text: string | null = null;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      // none here: keep climbing
    }
    if (text !== null) {
      const pkg = JSON.parse(text) as { name?: unknown; version?: unknown };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    }
    if (path.dirname(dir) === dir)
      throw new VersionNotFoundError(`no package.json of ${PACKAGE_NAME} above ${startDir}`);
  }
}

export const VERSION: string = findVersion(__dirname);
