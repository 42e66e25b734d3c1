// @grafana/levitate `is-compatible` for the app and each panel against the @grafana/* versions Grafana 13.2 ships
// (test-hosts/grafana13/package.json), failing on an incompatibility and on levitate's silent passes ("Skipping ...",
// "Could not process ..."), which it exits 0 for.
//
// One levitate run covers the app, the four panels and the events datasource: its entry re-exports each module's
// `plugin`, so every import
// of every module is in the one TypeScript program it checks, and an incompatibility names the file that uses it.
// (Five runs would compare the same @grafana/ui declarations five times, minutes on a small CI machine.)
//
// levitate reads the installed versions with `npm list` in the folder of the checked file; inside an npm workspace
// that lists the repository root, so every package would be skipped. The check therefore runs from a scratch folder
// (test-output/levitate) whose package.json names the installed @grafana/* versions and whose node_modules is the
// repository's. LEVITATE_CACHE keeps the downloaded package tarballs between runs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO = path.resolve(ROOT, '..');
const WORK = path.join(ROOT, 'test-output', 'levitate');
const PACKAGES = ['@grafana/data', '@grafana/ui', '@grafana/runtime'];
const MODULES = {
  app: 'src/module',
  lineage: 'src/panels/lineage/module',
  gallery: 'src/panels/gallery/module',
  feed: 'src/panels/feed/module',
  actions: 'src/panels/actions/module',
  events: 'src/datasources/events/module',
};

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
const require = createRequire(path.join(ROOT, 'package.json'));
/** The installed folder of package `name` (its `exports` may hide package.json from require.resolve). */
function packageDir(name) {
  for (let dir = path.dirname(require.resolve(name)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file) && readJson(file).name === name) {
      return dir;
    }
  }
  throw new Error(`cannot find the folder of ${name}`);
}
const installed = Object.fromEntries(
  PACKAGES.map((p) => [p, readJson(path.join(packageDir(p), 'package.json')).version])
);
const target = readJson(path.join(REPO, 'test-hosts', 'grafana13', 'package.json')).dependencies;
const targets = PACKAGES.map((p) => `${p}@${target[p]}`).join(',');
const levitate = path.join(packageDir('@grafana/levitate'), 'dist', 'bin.js');

fs.rmSync(WORK, { recursive: true, force: true });
fs.mkdirSync(WORK, { recursive: true });
fs.writeFileSync(
  path.join(WORK, 'package.json'),
  JSON.stringify({ name: 'lookout-levitate', private: true, dependencies: installed }, null, 2)
);
fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(WORK, 'node_modules'), 'dir');
// Reviewed exceptions, each with its reason; the plugins' sources also typecheck against the 13.2 types
// (tsconfig.grafana13.json, part of `npm run typecheck`), which checks what they really use.
// - `config` (@grafana/runtime): GrafanaBootConfig gained fields and lost `regionalFormat`, which the plugins never read.
// - `PanelPlugin.setMigrationHandler` (@grafana/data): the same `PanelMigrationHandler` type, now imported with a `type`
//   modifier in the .d.ts, which levitate compares as text.
const IGNORED_CHANGES = ['config', 'PanelPlugin.setMigrationHandler'];
fs.writeFileSync(
  path.join(WORK, '.levignore.js'),
  `module.exports = { changes: ${JSON.stringify(IGNORED_CHANGES)} };\n`
);
fs.writeFileSync(
  path.join(WORK, 'plugins.ts'),
  Object.entries(MODULES)
    .map(([name, modulePath]) => `export { plugin as ${name} } from '../../${modulePath}';\n`)
    .join('')
);

const out = await new Promise((resolve) => {
  const child = spawn(
    process.execPath,
    [levitate, 'is-compatible', '--path', 'plugins.ts', '--target', targets, '--markdown'],
    { cwd: WORK, env: { ...process.env, LEVITATE_CACHE: 'true', FORCE_COLOR: '0' } }
  );
  let text = '';
  child.stdout.on('data', (c) => (text += c));
  child.stderr.on('data', (c) => (text += c));
  child.on('close', (code) => resolve({ code, text }));
});

const silentPass = /Skipping|Could not process/.exec(out.text);
const checked = PACKAGES.filter((p) => out.text.includes(`Found ${p} version ${installed[p]} locally`));
const ok =
  out.code === 0 && !silentPass && checked.length === PACKAGES.length && /appears to be compatible/.test(out.text);
const from = PACKAGES.map((p) => `${p}@${installed[p]}`).join(',');
console.log(`${ok ? 'ok' : 'FAIL'}: ${Object.keys(MODULES).join(', ')}: ${from} → ${targets}`);
if (!ok) {
  const why = silentPass
    ? `did not check everything ("${silentPass[0]}")`
    : `exit ${out.code}, checked ${checked.join(', ')}`;
  console.log(`levitate ${why}:\n${out.text}`);
}
process.exit(ok ? 0 : 1);
