'use strict';
/**
 * The launcher behind the workspace bins (`lookout-exporter`, `lookout-simulator`). It is committed plain
 * JavaScript so that it exists when `npm install` links the bins, before anything is built, and it runs on any
 * Node that npm itself runs on:
 *
 * - on a Node older than 22 (better-sqlite3 13 crashes on Node 20 instead of failing) it runs itself again on the
 *   Node 24 that the repository pins as its `node` devDependency, or says how to get a Node that works;
 * - when the TypeScript build is missing it builds nothing: `--version` and `--help` still answer, anything else
 *   says the exact command to run.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const MIN_NODE_MAJOR = 22;

/** The `node` devDependency's binary, found from `fromDir` upwards, or undefined. */
function pinnedNode(fromDir) {
  try {
    const pkg = require.resolve('node/package.json', { paths: [fromDir] });
    const bin = path.join(path.dirname(pkg), 'bin', 'node');
    return fs.existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `script` with `args` on `node`, passing signals through, and exits with the child's code. */
function reexec(node, script, args) {
  const child = spawn(node, [script, ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    process.exit(code ?? 1);
  });
  child.on('error', (err) => {
    console.error(`could not start ${node}: ${err.message}`);
    process.exit(1);
  });
}

/**
 * @param {{ name: string, packageDir: string, entry: string, build: string, usage: string }} o
 *   `entry` is the built script (relative to `packageDir`), `build` the command that builds it (run from the
 *   repository root), `usage` what `--help` prints while the build is missing.
 */
function launch(o) {
  const args = process.argv.slice(2);
  const major = Number(process.versions.node.split('.')[0]);
  if (major < MIN_NODE_MAJOR) {
    const node = pinnedNode(o.packageDir);
    if (!node) {
      console.error(
        `${o.name}: Node.js ${process.versions.node} is too old: Node ${MIN_NODE_MAJOR} or newer is needed (24 LTS ` +
          'recommended). In a clone of the repository, `npm install` at its root installs the pinned Node 24, which ' +
          `${o.name} then uses by itself.`
      );
      process.exit(1);
    }
    reexec(node, process.argv[1], args);
    return;
  }
  const entry = path.join(o.packageDir, o.entry);
  if (fs.existsSync(entry)) {
    require(entry);
    return;
  }
  const { version } = JSON.parse(fs.readFileSync(path.join(o.packageDir, 'package.json'), 'utf8'));
  const missing = path.relative(process.cwd(), entry) || entry;
  const notBuilt = `not built yet (${missing} is missing): run \`${o.build}\` at the repository root`;
  if (args.includes('--version') || args.includes('-v')) {
    process.stdout.write(`${version}\n`);
    return;
  }
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(
      `${o.name} ${version}\n\n${o.usage}\n\n${o.name} is ${notBuilt}; then --help lists every option.\n`
    );
    return;
  }
  console.error(`${o.name}: ${notBuilt}, then run it again.`);
  process.exit(1);
}

module.exports = { launch, MIN_NODE_MAJOR };
