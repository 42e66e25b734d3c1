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
        name: 'Polling interval (s)',
        description: 'Lineage changes arrive live on the stream; this interval is used only while the stream is down',
        defaultValue: DEFAULT_LINEAGE_OPTIONS.refreshSeconds,
        settings: { min: 2, integer: true },
      })
  );
