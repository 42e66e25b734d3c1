import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

/**
 * What a newcomer meets on a fresh clone, checked cheaply (a full `npm install` in a clone is too slow for the test
 * command): the README's commands all exist; the bins npm links at install exist in the clone before anything is
 * built; the launcher answers --version and --help without a build and says exactly what to run; and from this
 * (installed, built) tree it runs the sidecar's CLI on the machine's own Node, re-running itself on the pinned Node 24
 * when that Node is too old.
 */
const ROOT = path.resolve(__dirname, '../../..');
const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

interface Pkg {
  name: string;
  version: string;
  scripts?: Record<string, string>;
  bin?: Record<string, string>;
  workspaces?: string[];
}

/** The machine's own Node (CI: Debian's Node 20), not the one npm scripts put first on the PATH. */
const MACHINE_NODE = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => fs.existsSync(p));

function run(node: string, args: string[], cwd: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: '/usr/local/bin:/usr/bin:/bin' };
  const r = spawnSync(node, args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('a fresh clone', () => {
  let clone: string;

  beforeAll(() => {
    clone = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-clone-'));
    const r = spawnSync('git', ['clone', '--quiet', '--local', ROOT, clone], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git clone failed: ${r.stderr}`);
  });
  afterAll(() => {
    fs.rmSync(clone, { recursive: true, force: true });
  });

  it('has every command the README names: npm scripts of the root or a workspace, and bins', () => {
    const root = readJson<Pkg>(path.join(clone, 'package.json'));
    const workspaces = new Map<string, Pkg>();
    for (const w of root.workspaces ?? []) {
      const pkg = readJson<Pkg>(path.join(clone, w, 'package.json'));
      workspaces.set(w, pkg);
      workspaces.set(pkg.name, pkg);
    }
    const bins = new Set([...workspaces.values()].flatMap((p) => Object.keys(p.bin ?? {})));
    const readme = fs.readFileSync(path.join(clone, 'README.md'), 'utf8');
    const missing: string[] = [];
    const found: string[] = [];
    for (const m of readme.matchAll(/npm (?:run ([\w:-]+)|(start|test))(?: -w ([\w@/.-]+))?/g)) {
      const script = m[1] ?? m[2]!;
      const pkg = m[3] ? workspaces.get(m[3]) : root;
      found.push(m[0]);
      if (!pkg?.scripts?.[script]) missing.push(m[0]);
    }
    // A command word such as `lookout-exporter`, not a plugin id such as `lookout-ops-app`.
    for (const m of readme.matchAll(/(?:npx )?(?<![\w/-])(lookout-[a-z]+)(?![\w-])/g)) {
      found.push(m[0]);
      if (!bins.has(m[1]!)) missing.push(m[0]);
    }
    expect(found).toEqual(expect.arrayContaining(['npm start', 'npm test', 'npx lookout-exporter']));
    expect(missing).toEqual([]);
  });

  it('holds every workspace bin before anything is built, so npm install links it', () => {
    const missing: string[] = [];
    for (const w of readJson<Pkg>(path.join(clone, 'package.json')).workspaces ?? []) {
      const pkg = readJson<Pkg>(path.join(clone, w, 'package.json'));
      for (const [bin, file] of Object.entries(pkg.bin ?? {})) {
        const at = path.join(clone, w, file);
        if (!fs.existsSync(at) || !(fs.statSync(at).mode & 0o111)) missing.push(`${bin} → ${w}/${file}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('answers --version and --help before the build, and says exactly what to build to run', () => {
    const bin = path.join(clone, 'exporter/bin/lookout-exporter.js');
    const { version } = readJson<Pkg>(path.join(clone, 'exporter/package.json'));
    expect(run(process.execPath, [bin, '--version'], clone)).toMatchObject({ code: 0, out: `${version}\n` });
    const help = run(process.execPath, [bin, '--help'], clone);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: lookout-exporter [--config FILE]');
    expect(help.out).toContain('npm run build -w exporter');
    const start = run(process.execPath, [bin], clone);
    expect(start.code).toBe(1);
    expect(start.err).toContain('run `npm run build -w exporter` at the repository root');
  });

  it('tells the machine’s old Node to run npm install when the pinned Node is not installed yet', () => {
    if (!MACHINE_NODE) throw new Error('no machine Node at /usr/bin/node or /usr/local/bin/node');
    const major = Number(run(MACHINE_NODE, ['-p', 'process.versions.node'], clone).out.split('.')[0]);
    const r = run(MACHINE_NODE, [path.join(clone, 'exporter/bin/lookout-exporter.js'), '--version'], clone);
    if (major < 22) {
      expect(r.code).toBe(1);
      expect(r.err).toContain('`npm install` at its root installs the pinned Node 24');
    } else {
      expect(r.code).toBe(0);
    }
  });
});

describe('npx lookout-exporter on the machine’s Node, in this installed tree', () => {
  const bin = path.join(ROOT, 'node_modules/.bin/lookout-exporter');

  it('is linked by npm install', () => {
    expect(fs.realpathSync(bin)).toBe(path.join(ROOT, 'exporter/bin/lookout-exporter.js'));
  });

  it('prints --version and the full --help (built CLI, run on a Node new enough for better-sqlite3)', () => {
    if (!MACHINE_NODE) throw new Error('no machine Node at /usr/bin/node or /usr/local/bin/node');
    const { version } = readJson<Pkg>(path.join(ROOT, 'exporter/package.json'));
    expect(run(MACHINE_NODE, [bin, '--version'], ROOT)).toMatchObject({ code: 0, out: `${version}\n` });
    const help = run(MACHINE_NODE, [bin, '--help'], ROOT);
    expect(help.code).toBe(0);
    // Only dist/cli.js lists the environment overrides, and it refuses a Node older than 22.
    expect(help.out).toContain('LOOKOUT_PORT');
    expect(help.out).toContain('Exit codes:');
  });

  it('starts the sidecar and stops it cleanly on SIGTERM', async () => {
    if (!MACHINE_NODE) throw new Error('no machine Node at /usr/bin/node or /usr/local/bin/node');
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-npx-'));
    const child = spawn(MACHINE_NODE, [bin], {
      cwd: ROOT,
      env: {
        PATH: '/usr/local/bin:/usr/bin:/bin',
        LOOKOUT_PORT: '0',
        LOOKOUT_HOST: '127.0.0.1',
        LOOKOUT_DATA_DIR: path.join(data, 'data'),
        LOOKOUT_WATCH_ROOT: path.join(data, 'workspace'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const listening = await new Promise<boolean>((resolve) => {
        readline.createInterface({ input: child.stdout! }).on('line', (line) => {
          if (line.includes('"msg":"sidecar listening"')) resolve(true);
        });
        void exited.then(() => resolve(false));
      });
      expect(listening).toBe(true);
      // The launcher passes the signal on to the sidecar it runs on the pinned Node, which stops cleanly.
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(data, { recursive: true, force: true });
    }
  });
});
