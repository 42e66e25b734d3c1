#!/usr/bin/env node
import os from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_SIMULATOR_OPTIONS, SimulatorOptionsError, createSimulator } from './simulator';
import { NatsCommandBus } from './nats-command-bus';

const USAGE = `Usage: lookout-simulator [options]

Runs the example ML trading-policy workload, writing lineage, calibration images,
telemetry and activity files into a workspace until SIGTERM or SIGINT.

Options:
  --workspace DIR   workspace root (default ./workspace)
  --seed N          PRNG seed; the same seed writes the same files (default ${DEFAULT_SIMULATOR_OPTIONS.seed})
  --tick-ms N       milliseconds between ticks (default ${DEFAULT_SIMULATOR_OPTIONS.tickMs})
  --model NAME      model name in lineage and telemetry (default ${DEFAULT_SIMULATOR_OPTIONS.model})
  --no-autopilot    never retrain or promote on its own; leave those decisions to the sidecar
  --nats-url URL    answer commands on lookout.cmd.<node>.* over NATS (default $LOOKOUT_NATS_URL)
  --node NAME       node name in command subjects (default $LOOKOUT_NODE, else the host name)
  -h, --help        show this help`;

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value))
    throw new SimulatorOptionsError(`--${name} must be an integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

function main(argv: string[]): void {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        workspace: { type: 'string', default: './workspace' },
        seed: { type: 'string' },
        'tick-ms': { type: 'string' },
        model: { type: 'string' },
        'no-autopilot': { type: 'boolean', default: false },
        'nats-url': { type: 'string' },
        node: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }

  let simulator;
  try {
    simulator = createSimulator({
      workspace: values.workspace,
      seed: integer('seed', values.seed),
      tickMs: integer('tick-ms', values['tick-ms']),
      model: values.model,
      autopilot: !values['no-autopilot'],
    });
    simulator.start();
  } catch (err) {
    console.error(`lookout-simulator: ${(err as Error).message}`);
    process.exit(err instanceof SimulatorOptionsError ? 2 : 1);
  }

  const sim = simulator;
  const natsUrl = values['nats-url'] ?? process.env['LOOKOUT_NATS_URL'];
  const node = values.node ?? process.env['LOOKOUT_NODE'] ?? os.hostname().replace(/[^A-Za-z0-9_-]/g, '-');
  const nats = natsUrl ? NatsCommandBus.connect({ url: natsUrl, name: `lookout-simulator-${node}` }) : null;
  nats?.then(
    (bus) => {
      sim.attachBus(bus, node);
      console.log(`lookout-simulator: answering commands on lookout.cmd.${node}.* at ${natsUrl}`);
    },
    (err: unknown) => {
      console.error(`lookout-simulator: ${(err as Error).message}`);
      sim.stop();
      process.exit(1);
    }
  );
  const shutdown = (signal: NodeJS.Signals): void => {
    sim.stop();
    void (nats ?? Promise.resolve(null))
      .then((bus) => bus?.drain())
      .catch(() => undefined)
      .finally(() => {
        console.log(`lookout-simulator: stopped on ${signal}`);
        process.exit(0);
      });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  console.log(
    `lookout-simulator: writing to ${sim.workspace} every ${values['tick-ms'] ?? DEFAULT_SIMULATOR_OPTIONS.tickMs} ms`
  );
}

main(process.argv.slice(2));
