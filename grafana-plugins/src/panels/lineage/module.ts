import { PanelPlugin } from '@grafana/data';
import { LineagePanel } from './components/LineagePanel';
import { migrateLineageOptions } from './migrations';
import { DEFAULT_LINEAGE_OPTIONS, type LineageOptions } from './types';

export const plugin = new PanelPlugin<LineageOptions>(LineagePanel)
  .setMigrationHandler(migrateLineageOptions)
  .setPanelOptions((builder) =>
    builder
      .addBooleanSwitch({
        path: 'showSummary',
        name: 'Show summary',
        defaultValue: DEFAULT_LINEAGE_OPTIONS.showSummary,
      })
      .addNumberInput({
        path: 'refreshSeconds',
        name: 'Refresh (s)',
        description: 'Lineage changes are also pushed on the live stream; this is a safety refresh',
        defaultValue: DEFAULT_LINEAGE_OPTIONS.refreshSeconds,
        settings: { min: 2, integer: true },
      })
  );
