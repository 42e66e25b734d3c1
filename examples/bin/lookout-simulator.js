#!/usr/bin/env node
'use strict';
// The `lookout-simulator` bin, through the exporter's launcher (Node version and missing-build handling).
const path = require('node:path');
const { launch } = require('@lookout/exporter/bin/launch');

launch({
  name: 'lookout-simulator',
  packageDir: path.join(__dirname, '..'),
  entry: 'dist/cli.js',
  build: 'npm run build -w examples',
  usage: 'Usage: lookout-simulator [--workspace DIR] [--seed N] [--tick-ms N] [--model NAME] [--no-autopilot]',
});
