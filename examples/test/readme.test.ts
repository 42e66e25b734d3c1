import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMAND_ACTIONS, WORKSPACE_PATHS } from '../src';
import { SimulatorPool, makeWorkspace, removeWorkspace } from './helpers';

const README = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
const CLI = fs.readFileSync(path.join(__dirname, '..', 'src', 'cli.ts'), 'utf8');
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('README stays in step with the code', () => {
  const pool = new SimulatorPool();

  afterAll(() => pool.stopAll());

  it.each([...COMMAND_ACTIONS])('documents the %s command in the commands table', (action) => {
    expect(README).toMatch(new RegExp(`^\\| \`${action}\` +\\|`, 'm'));
  });

  it.each(Object.values(WORKSPACE_PATHS))('documents the workspace path %s', (rel) => {
    expect(README).toContain(rel);
  });

  it('documents every telemetry metric and labeled sample the simulator writes', async () => {
    const dir = await makeWorkspace();
    try {
      const sim = pool.create({ workspace: dir });
      const metrics = Object.keys(sim.getState().metrics);
      expect(metrics.length).toBe(11);
      const snapshot = JSON.parse(fs.readFileSync(path.join(dir, WORKSPACE_PATHS.telemetry), 'utf8')) as {
        samples: { name: string; labels: Record<string, string> }[];
      };
      const samples = [...new Set(snapshot.samples.map((s) => `${s.name}{${Object.keys(s.labels).join(',')}}`))];
      expect(samples.length).toBe(4);
      for (const name of [...metrics, ...samples]) {
        expect([name, README]).toEqual([name, expect.stringMatching(new RegExp(`^\\| \`${escape(name)}\` +\\|`, 'm'))]);
      }
    } finally {
      await removeWorkspace(dir);
    }
  });

  it('documents every CLI flag', () => {
    const flags = [...CLI.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]!);
    expect(flags.length).toBeGreaterThan(3);
    for (const flag of flags) expect(README).toContain(`\`${flag}\``);
  });
});
