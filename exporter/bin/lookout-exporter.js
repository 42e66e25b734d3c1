#!/usr/bin/env node
'use strict';
// The `lookout-exporter` bin: see launch.js for why it is plain JavaScript and what it does before dist/cli.js.
const path = require('node:path');
const { launch } = require('./launch');

launch({
  name: 'lookout-exporter',
  packageDir: path.join(__dirname, '..'),
  entry: 'dist/cli.js',
  build: 'npm run build -w exporter',
  usage:
    'Usage: lookout-exporter [--config FILE]\n' +
    '  -c, --config FILE   JSON or YAML config file (every key also has a LOOKOUT_* environment override,\n' +
    '                      listed in docs/configuration.md)\n' +
    '  -h, --help          show this help\n' +
    '  -v, --version       print the version',
});
