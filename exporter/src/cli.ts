#!/usr/bin/env node
import './node-version-guard';
import { parseArgs } from 'node:util';
import { ConfigError, listConfigKeys, loadConfig } from './config/load-config';
import { startSidecar } from './main';
import { PolicyLoadError } from './policy/policy-service';
import { VERSION } from './version';

const HELP = `lookout-exporter ${VERSION}: the Lookout sidecar (watch, store, metrics, control API, NATS)

Usage: lookout-exporter [--config FILE]

Options:
  -c, --config FILE   JSON or YAML config file (every key also has a LOOKOUT_* environment override)
  -h, --help          show this help
  -v, --version       print the version

Environment overrides:
${listConfigKeys()
  .map((k) => `  ${k.env.padEnd(40)} ${k.description}`)
  .join('\n')}

Exit codes: 0 stopped cleanly, 1 failed at run time, 2 invalid configuration or arguments.
`;

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
      strict: true,
    });
  } catch (err) {
    console.error(`lookout-exporter: ${(err as Error).message}\nTry --help.`);
    process.exit(2);
  }
  if (args.values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (args.values.version) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  let config;
  try {
    config = loadConfig({ file: args.values.config ?? process.env['LOOKOUT_CONFIG'] });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`lookout-exporter: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  let sidecar;
  try {
    sidecar = await startSidecar(config);
  } catch (err) {
    // A policy file that does not validate stops the start with every problem listed, like the config.
    if (err instanceof PolicyLoadError) {
      console.error(`lookout-exporter: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  let signalled = false;
  const shutdown = (signal: string): void => {
    if (signalled) {
      sidecar.ctx.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    signalled = true;
    sidecar.ctx.log.info({ signal }, 'shutting down');
    sidecar.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      }
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(`lookout-exporter: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
