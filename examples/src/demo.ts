#!/usr/bin/env node
/**
 * `npm start`: the sidecar with its embedded defaults and the example workload in one process, joined by
 * the in-process bus (or NATS when LOOKOUT_NATS_URL is set). Every LOOKOUT_* variable applies. Unless the
 * config names a policy (LOOKOUT_POLICY_FILE, or inline rules), the sidecar runs the starter safety policy
 * (policies/starter.yml), and the workload leaves retrains and promotions to it (no autopilot).
 */
import '@lookout/exporter/dist/node-version-guard';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, InProcessBus, PolicyLoadError, loadConfig, startSidecar } from '@lookout/exporter';
import { createSimulator } from './simulator';

/** The repository's starter policy: examples/dist/demo.js → policies/starter.yml. */
const STARTER_POLICY = path.resolve(__dirname, '..', '..', 'policies', 'starter.yml');

async function main(): Promise<void> {
  let config;
  try {
    const file = process.env['LOOKOUT_CONFIG'];
    config = loadConfig({ file });
    const ownRules =
      config.guardian.rules.length || Object.keys(config.guardian.playbooks).length || config.scheduler.policies.length;
    if (!config.policy.file && !ownRules)
      config = loadConfig({ file, overrides: { policy: { file: STARTER_POLICY } } });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`lookout demo: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  fs.mkdirSync(config.watch.root, { recursive: true });
  const simulator = createSimulator({
    workspace: config.watch.root,
    seed: Number(process.env['LOOKOUT_DEMO_SEED'] ?? 1),
    tickMs: Number(process.env['LOOKOUT_DEMO_TICK_MS'] ?? 2000),
    // With a policy the sidecar decides retrains and promotions; without one, the workload does.
    autopilot: !config.policy.file,
  });
  // Write the first lineage, images and telemetry before the sidecar's first reconcile scan.
  simulator.start();
  let sidecar;
  try {
    sidecar = await startSidecar(config, config.nats.url ? {} : { bus: new InProcessBus() });
  } catch (err) {
    simulator.stop();
    if (err instanceof PolicyLoadError) {
      console.error(`lookout demo: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const subscription = simulator.attachBus(sidecar.ctx.bus, config.node);

  const base = sidecar.url;
  const rel = sidecar.adminTokenFile ? path.relative(process.cwd(), sidecar.adminTokenFile) : '';
  const tokenPath = rel && !rel.startsWith('..') ? rel : sidecar.adminTokenFile;
  const tokenHelp = sidecar.adminTokenFile
    ? `admin token: ${sidecar.adminTokenFile}  (TOKEN=$(cat ${tokenPath}))`
    : 'tokens: from LOOKOUT_TOKENS / the config file';
  console.error(
    [
      '',
      `Lookout sidecar ${sidecar.ctx.version} on node "${config.node}" with the example workload`,
      `  workspace:  ${config.watch.root}`,
      `  data:       ${config.data_dir}`,
      `  ${tokenHelp}`,
      `  status:     ${base}/api/v1/status`,
      `  metrics:    ${base}/metrics`,
      `  live feed:  ${base}/api/v1/stream`,
      `  lineage:    ${base}/api/v1/lineage`,
      `  gallery:    ${base}/api/v1/artifacts/calibration`,
      `  API docs:   ${base}/api/v1/openapi.json`,
      `  policy:     ${config.policy.file ?? 'inline rules of the config'}  (${base}/api/v1/policy; edit the file and it reloads)`,
      `  e.g.: curl -H "Authorization: Bearer $TOKEN" ${base}/api/v1/status`,
      'Ctrl-C stops both.',
      '',
    ].join('\n')
  );

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    sidecar.ctx.log.info({ signal }, 'demo shutting down');
    subscription.unsubscribe();
    simulator.stop();
    sidecar.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      }
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`lookout demo: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
