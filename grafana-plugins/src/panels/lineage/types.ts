export interface LineageOptions {
  /** Show the KPI strip (model, counts, active and canary) above the graph. */
  showSummary: boolean;
  refreshSeconds: number;
}

export const DEFAULT_LINEAGE_OPTIONS: LineageOptions = { showSummary: true, refreshSeconds: 15 };
