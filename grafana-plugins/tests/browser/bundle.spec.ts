import { expect, test } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { GENERATIONS } from './server';

/**
 * What the built dist/ asks of Grafana, checked on the files both browser runs load: only modules Grafana shares,
 * the router taken from Grafana (never bundled), and a grafanaDependency that holds exactly what is tested.
 */
const DIST = path.resolve(__dirname, '../../dist');
const MODULES = ['module.js', ...['lineage', 'gallery', 'feed', 'actions'].map((p) => `panels/${p}/module.js`)];
/** Grafana's shared modules (public/app/features/plugins/loader/sharedDependencies.ts) plus the AMD `module`. */
const SHARED = [
  'module',
  '@emotion/css',
  '@emotion/react',
  '@grafana/data',
  '@grafana/runtime',
  '@grafana/ui',
  'd3',
  'i18next',
  'jquery',
  'lodash',
  'moment',
  'prismjs',
  'react',
  'react-dom',
  'react-dom/client',
  'react/jsx-runtime',
  'react/jsx-dev-runtime',
  'react-redux',
  'react-router',
  'redux',
  'rxjs',
  'rxjs/operators',
];

function amdDeps(file: string): string[] {
  const m = /define\((\[[^\]]*\])/.exec(fs.readFileSync(path.join(DIST, file), 'utf8'));
  expect(m, `${file} is not an AMD module`).not.toBeNull();
  return JSON.parse(m![1]!) as string[];
}

test.describe('the built plugins', () => {
  for (const file of MODULES) {
    test(`${file} imports only modules Grafana shares`, () => {
      expect(amdDeps(file).filter((d) => !SHARED.includes(d))).toEqual([]);
    });
  }

  test('the app routes with the react-router Grafana shares and bundles no router of its own', () => {
    expect(amdDeps('module.js')).toContain('react-router');
    const bundled = fs
      .readdirSync(DIST)
      .filter((f) => f.endsWith('.js'))
      .filter((f) =>
        /react-router-dom|__reactRouterVersion|useHref\(\) may be used only in the context/.test(
          fs.readFileSync(path.join(DIST, f), 'utf8')
        )
      );
    expect(bundled).toEqual([]);
  });

  test('every plugin.json declares a Grafana range that holds the tested generations and starts at the oldest', () => {
    const tested = Object.values(GENERATIONS).map((g) => g.version);
    const oldest = tested.map((v) => semver.parse(v)!).sort(semver.compare)[0]!;
    for (const file of ['plugin.json', ...MODULES.slice(1).map((m) => m.replace('module.js', 'plugin.json'))]) {
      const range = (
        JSON.parse(fs.readFileSync(path.join(DIST, file), 'utf8')) as {
          dependencies: { grafanaDependency: string };
        }
      ).dependencies.grafanaDependency;
      for (const v of tested) {
        expect(semver.satisfies(v, range), `${file}: ${range} holds ${v}`).toBe(true);
      }
      expect(semver.minVersion(range)?.version, `${file}: ${range}`).toBe(`${oldest.major}.${oldest.minor}.0`);
    }
  });
});
