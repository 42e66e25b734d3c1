import { PanelPlugin } from '@grafana/data';
import { nodeOption } from '../nodeOption';
import { multiSelectOptions } from '../multiSelectOptions';
import { ActionsPanel } from './components/ActionsPanel';
import { migrateActionsOptions } from './migrations';
import { BUILTIN_ACTIONS, DEFAULT_ACTIONS_OPTIONS, type ActionsOptions } from './types';

export const plugin = new PanelPlugin<ActionsOptions>(ActionsPanel)
  .setMigrationHandler(migrateActionsOptions)
  .setPanelOptions((builder) =>
    builder
      .addTextInput(
        nodeOption(
          'The node these buttons act on: a node name or ${node:csv}, through the hub (the node checks your role); empty: the sidecar the app talks to'
        )
      )
      .addMultiSelect({
        path: 'buttons',
        name: 'Actions',
        description: 'Built-in actions shown as buttons, in this order',
        defaultValue: DEFAULT_ACTIONS_OPTIONS.buttons,
        settings: { options: multiSelectOptions(BUILTIN_ACTIONS) },
      })
      .addTextInput({
        path: 'customActions',
        name: 'Custom actions',
        description: 'Comma-separated names of custom actions configured on the sidecar',
        defaultValue: DEFAULT_ACTIONS_OPTIONS.customActions,
      })
      .addNumberInput({
        path: 'refreshSeconds',
        name: 'State refresh (s)',
        defaultValue: DEFAULT_ACTIONS_OPTIONS.refreshSeconds,
        settings: { min: 1, integer: true },
      })
      .addBooleanSwitch({
        path: 'showFleet',
        name: 'Fleet kill and release',
        description: 'When the sidecar the app talks to is a fleet hub: stop or release every node (or some) at once',
        defaultValue: DEFAULT_ACTIONS_OPTIONS.showFleet,
      })
  );
