import * as path from 'node:path';

/** Where the simulator writes, relative to the workspace root; the sidecar's classifiers read the same places. */
export const WORKSPACE_PATHS = {
  lineage: 'lineage/lineage_index.json',
  telemetry: 'telemetry/snapshot.json',
  calibration: 'calibration',
  tasks: 'activity/tasks',
  llm: 'activity/llm',
  propagation: 'activity/propagation',
} as const;

export interface ResolvedPaths {
  root: string;
  lineage: string;
  telemetry: string;
  calibration: string;
  tasks: string;
  llm: string;
  propagation: string;
}

export function resolvePaths(root: string): ResolvedPaths {
  const abs = path.resolve(root);
  return {
    root: abs,
    lineage: path.join(abs, WORKSPACE_PATHS.lineage),
    telemetry: path.join(abs, WORKSPACE_PATHS.telemetry),
    calibration: path.join(abs, WORKSPACE_PATHS.calibration),
    tasks: path.join(abs, WORKSPACE_PATHS.tasks),
    llm: path.join(abs, WORKSPACE_PATHS.llm),
    propagation: path.join(abs, WORKSPACE_PATHS.propagation),
  };
}
