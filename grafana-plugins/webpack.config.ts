// Extends the create-plugin config (never edit .config/): also copies each nested plugin's logo into dist.
import CopyWebpackPlugin from 'copy-webpack-plugin';
import type { Configuration } from 'webpack';
import { merge } from 'webpack-merge';
import grafanaConfig, { type Env } from './.config/webpack/webpack.config.ts';

const config = async (env: Env): Promise<Configuration> => {
  const baseConfig = await grafanaConfig(env);
  return merge(baseConfig, {
    plugins: [
      new CopyWebpackPlugin({
        patterns: [
          { from: 'panels/*/img/*', to: '[path][name][ext]' },
          { from: 'datasources/*/img/*', to: '[path][name][ext]' },
        ],
      }),
    ],
  });
};

export default config;
