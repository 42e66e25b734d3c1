import { PanelPlugin } from '@grafana/data';
import { nodeOption } from '../nodeOption';
import { FEEDS, SEVERITIES } from '../../api';
import { multiSelectOptions } from '../multiSelectOptions';
import { FeedPanel } from './components/FeedPanel';
import { migrateFeedOptions } from './migrations';
import { DEFAULT_FEED_OPTIONS, type FeedOptions } from './types';

export const plugin = new PanelPlugin<FeedOptions>(FeedPanel)
  .setMigrationHandler(migrateFeedOptions)
  .setPanelOptions((builder) =>
    builder
      .addTextInput(
        nodeOption(
          'Whose events: empty for the sidecar the app talks to; a node name, several, or ${node:csv} with All for the fleet hub’s feed of those nodes'
        )
      )
      .addMultiSelect({
        path: 'feeds',
        name: 'Feeds',
        defaultValue: DEFAULT_FEED_OPTIONS.feeds,
        settings: { options: multiSelectOptions(FEEDS) },
      })
      .addRadio({
        path: 'minSeverity',
        name: 'Minimum severity',
        defaultValue: DEFAULT_FEED_OPTIONS.minSeverity,
        settings: { options: SEVERITIES.map((s) => ({ label: s, value: s })) },
      })
      .addNumberInput({
        path: 'maxRows',
        name: 'Rows kept',
        defaultValue: DEFAULT_FEED_OPTIONS.maxRows,
        settings: { min: 100, integer: true },
      })
      .addNumberInput({
        path: 'pollSeconds',
        name: 'Polling interval (s)',
        description: 'Used only when the live stream is unavailable',
        defaultValue: DEFAULT_FEED_OPTIONS.pollSeconds,
        settings: { min: 1, integer: true },
      })
  );
