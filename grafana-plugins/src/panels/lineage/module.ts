import { PanelPlugin } from '@grafana/data';
import { nodeOption } from '../nodeOption';
import { LineagePanel } from './components/LineagePanel';
import { migrateLineageOptions } from './migrations';
import { DEFAULT_LINEAGE_OPTIONS, type LineageOptions } from './types';

export const plugin = new PanelPlugin<LineageOptions>(LineagePanel)
  .setMigrationHandler(migrateLineageOptions)
  .setPanelOptions((builder) =>
    builder
      .addTextInput(
        nodeOption(
          'The node whose lineage this panel shows: a node name or ${node:csv} (the dashboard variable), through the hub; empty: the sidecar the app talks to'
        )
      )
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
