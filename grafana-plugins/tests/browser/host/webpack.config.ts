// Run from grafana-plugins/ (npm scripts do). Bundles the harness host with webpack, as Grafana bundles its frontend (an esbuild bundle of @grafana/data
// initialises a theme before lodash is ready; see GRAFANA-LOADER.md).
import path from 'path';
import type { Configuration } from 'webpack';

const config: Configuration = {
  mode: 'production',
  target: 'web',
  entry: path.resolve(process.cwd(), 'tests/browser/host/host.tsx'),
  output: { path: path.resolve(process.cwd(), 'test-output/harness'), filename: 'host.js', clean: true },
  devtool: false,
  performance: { hints: false },
  optimization: { minimize: false },
  resolve: { extensions: ['.tsx', '.ts', '.mjs', '.js'] },
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

export default config;
