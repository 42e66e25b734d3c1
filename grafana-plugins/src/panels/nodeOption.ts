/** The default of every panel's `node` option: the sidecar the app talks to. */
export const DEFAULT_NODE = '';

/** The node picker every Lookout panel has, for `addTextInput`: a node name, `${node:csv}`, or empty. */
export function nodeOption(description: string) {
  return {
    path: 'node',
    name: 'Node',
    description,
    defaultValue: DEFAULT_NODE,
    settings: { placeholder: '${node:csv} — empty: the sidecar the app talks to' },
  } as const;
}
