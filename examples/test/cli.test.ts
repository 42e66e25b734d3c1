import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WORKSPACE_PATHS, type TelemetrySnapshot } from '../src';
import { makeWorkspace, readJson, removeWorkspace, waitFor } from './helpers';

const REPO = path.resolve(__dirname, '../..');
// The compiled CLI runs from a temp folder, so it finds pngjs through the workspace's node_modules.
const ENV = { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') };

describe('lookout-simulator CLI', () => {
  let build: string;
  let dir: string;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    build = await makeWorkspace();
    execFileSync(
      process.execPath,
      [
        path.join(REPO, 'node_modules/typescript/bin/tsc'),
        '-p',
        path.join(REPO, 'examples/tsconfig.build.json'),
        '--outDir',
        build,
      ],
      { stdio: 'pipe' }
    );
  });

  beforeEach(async () => {
    dir = await makeWorkspace();
  });

  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = undefined;
    await removeWorkspace(dir);
  });

  afterAll(async () => {
    await removeWorkspace(build);
  });

  it('writes the workspace every tick and exits 0 on SIGTERM', async () => {
    child = spawn(
      process.execPath,
      [path.join(build, 'cli.js'), '--workspace', dir, '--seed', '5', '--tick-ms', '50'],
      {
        env: ENV,
        stdio: ['ignore', 'pipe', 'pipe'],
      }
    );
    const telemetry = path.join(dir, WORKSPACE_PATHS.telemetry);
    await waitFor(() => fs.existsSync(telemetry), 10000);
    const first = readJson<TelemetrySnapshot>(telemetry).ts;
    await waitFor(() => readJson<TelemetrySnapshot>(telemetry).ts !== first, 10000);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(fs.existsSync(path.join(dir, WORKSPACE_PATHS.lineage))).toBe(true);
  });

  it('exits 2 with the reason on an invalid option value', () => {
    const res = spawnSync(process.execPath, [path.join(build, 'cli.js'), '--workspace', dir, '--tick-ms', 'soon'], {
      env: ENV,
      encoding: 'utf8',
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('--tick-ms must be an integer');
  });

  it('exits 2 and prints usage on an unknown flag', () => {
    const res = spawnSync(process.execPath, [path.join(build, 'cli.js'), '--bogus'], { env: ENV, encoding: 'utf8' });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('Usage: lookout-simulator');
  });
});
