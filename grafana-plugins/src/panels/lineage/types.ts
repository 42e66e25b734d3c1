import { DEFAULT_NODE } from '../nodeOption';
export interface LineageOptions {
  /** Which node the panel shows (data/nodeChoice.ts): a node name, `${node:csv}`, or empty for the sidecar itself. */
  node: string;
  /** Show the KPI strip (model, counts, active and canary) above the graph. */
  showSummary: boolean;
  refreshSeconds: number;
}

export const DEFAULT_LINEAGE_OPTIONS: LineageOptions = {
  node: DEFAULT_NODE,
  showSummary: true,
  refreshSeconds: 15,
};
