import type { PanelOptionsEditorBuilder } from '@grafana/data';

/** The default of every panel's `node` option: the sidecar the app talks to. */
export const DEFAULT_NODE = '';

/** Adds the node picker every Lookout panel has (a text option: a node name, `${node:csv}`, or empty). */
export function addNodeOption<T extends { node: string }>(
  builder: PanelOptionsEditorBuilder<T>,
  description: string
): PanelOptionsEditorBuilder<T> {
  return builder.addTextInput({
    path: 'node',
    name: 'Node',
    description,
    defaultValue: DEFAULT_NODE,
    settings: { placeholder: '${node:csv} — empty: the sidecar the app talks to' },
  });
}
