// Run from grafana-plugins/ (npm scripts do). Bundles the harness host with webpack, as Grafana bundles its frontend (an
// esbuild bundle of @grafana/data initialises a theme before lodash is ready; see GRAFANA-LOADER.md).
//
// One bundle per Grafana generation (`--env grafana=12.4|13.2`), from the same host.tsx:
// - 12.4: this workspace's @grafana/* 12.4 and React 18; `react-router` is what Grafana 12.4 shares under that name,
//   the react-router-dom-v5-compat package its @grafana/ui depends on (v6 API).
// - 13.2: the packages of test-hosts/grafana13 (@grafana/* 13.2, React 19) and react-router 7, the router Grafana plans
//   to share next (grafana/grafana#129933): Grafana 13.2 itself still shares the v6 compat package, which the 12.4
//   bundle covers, so together they show the plugin working on both router generations.
import fs from 'fs';
import path from 'path';
import { createRequire } from 'module';
import webpack, { type Configuration } from 'webpack';

type Generation = '12.4' | '13.2';

const ROOT = process.cwd();
const HOST13 = path.resolve(ROOT, '../test-hosts/grafana13');

/** The folder of `name` as resolved from `from` (a folder with a package.json, or a file inside a package). */
function packageDir(name: string, from: string): string {
  const req = createRequire(path.join(from, 'package.json'));
  let dir = path.dirname(req.resolve(`${name}/package.json`));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    dir = path.dirname(dir);
  }
  return dir;
}

const version = (dir: string): string =>
  (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;

const SHARED = [
  'react',
  'react-dom',
  '@grafana/data',
  '@grafana/ui',
  '@grafana/runtime',
  '@grafana/schema',
  '@grafana/i18n',
  '@emotion/css',
  '@emotion/react',
  'rxjs',
];
const sharedRequest = new RegExp(`^(${SHARED.map((n) => n.replace('/', '\\/')).join('|')})(/.*)?$`);

/**
 * Where each shared request is resolved from. Resolving from another folder (rather than aliasing to a path) keeps
 * every package's `exports` map, so `@grafana/data/unstable` and `react/jsx-runtime` resolve as their packages say.
 * `react-router` is redirected for the host's own import only: Grafana's packages keep their own router copies.
 */
function redirect(generation: Generation): webpack.NormalModuleReplacementPlugin {
  const ui12 = packageDir('@grafana/ui', ROOT);
  return new webpack.NormalModuleReplacementPlugin(
    /.*/,
    (r: { request: string; context: string; contextInfo?: { issuer?: string } }) => {
      const fromHost = (r.contextInfo?.issuer ?? '').includes(path.join('tests', 'browser', 'host'));
      if (generation === '13.2' && sharedRequest.test(r.request)) {
        r.context = HOST13;
      } else if (fromHost && r.request === 'react-router') {
        if (generation === '13.2') {
          r.context = HOST13;
        } else {
          r.request = 'react-router-dom-v5-compat';
          r.context = ui12;
        }
      }
    }
  );
}

/** The version of each shared package as this generation resolves it. */
function sharedVersions(generation: Generation): Record<string, string> {
  const from = generation === '13.2' ? HOST13 : ROOT;
  const out: Record<string, string> = Object.fromEntries(SHARED.map((n) => [n, version(packageDir(n, from))]));
  out['react-router (shared)'] =
    generation === '13.2'
      ? version(packageDir('react-router', HOST13))
      : `${version(packageDir('react-router-dom-v5-compat', packageDir('@grafana/ui', ROOT)))} (react-router-dom-v5-compat)`;
  return out;
}

export default (env: { grafana?: string } = {}): Configuration => {
  const generation: Generation = env.grafana === '13.2' ? '13.2' : '12.4';
  return {
    mode: 'production',
    target: 'web',
    entry: path.resolve(ROOT, 'tests/browser/host/host.tsx'),
    output: { path: path.resolve(ROOT, `test-output/harness-${generation}`), filename: 'host.js', clean: true },
    devtool: false,
    performance: { hints: false },
    optimization: { minimize: false },
    resolve: { extensions: ['.tsx', '.ts', '.mjs', '.js'] },
    plugins: [
      redirect(generation),
      new webpack.DefinePlugin({
        __SHARED_VERSIONS__: JSON.stringify({ grafana: generation, ...sharedVersions(generation) }),
      }),
    ],
    module: {
      rules: [
        {
          test: /\.tsx?$/,
          exclude: /node_modules/,
          use: {
            loader: 'swc-loader',
            options: {
              jsc: {
                parser: { syntax: 'typescript', tsx: true },
                target: 'es2020',
                transform: { react: { runtime: 'classic' } },
              },
            },
          },
        },
        { test: /\.m?js$/, resolve: { fullySpecified: false } },
        { test: /\.css$/, use: ['style-loader', 'css-loader'] },
        { test: /\.(svg|png|woff2?|ttf|eot)$/, type: 'asset/resource' },
      ],
    },
  };
};
