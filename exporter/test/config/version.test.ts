import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VERSION, VersionNotFoundError, findVersion } from '../../src/version';

describe('version lookup', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-version-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is the exporter package version', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });

  it('climbs past other packages to the exporter package.json, however deep the build output is', () => {
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: '@lookout/exporter', version: '9.8.7' }));
    const nested = path.join(dir, 'dist-bench', 'src');
    fs.mkdirSync(nested, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'dist-bench', 'package.json'),
      JSON.stringify({ name: 'something-else', version: '1.0.0' })
    );
    expect(findVersion(nested)).toBe('9.8.7');
  });

  it('says so when no exporter package.json is above the folder', () => {
    expect(() => findVersion(dir)).toThrow(VersionNotFoundError);
  });
});
