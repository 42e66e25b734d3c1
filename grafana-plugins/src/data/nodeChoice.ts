/**
 * Which node a panel reads, from its `node` option after dashboard variables are replaced (`${node:csv}` in the
 * provisioned dashboards):
 *
 * - empty, or a variable that was not replaced: the sidecar the app talks to (`self`);
 * - one node name: that node, through the hub (`node`);
 * - several names (`a,b`, or Grafana's glob form `{a,b}`): `nodes`;
 * - `*`, `All`, `$__all` or `.*` (the dashboards' "All" value): every node (`all`).
 */
export type NodeChoice =
  { kind: 'self' } | { kind: 'node'; node: string } | { kind: 'nodes'; nodes: string[] } | { kind: 'all' };

const NODE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
const ALL = new Set(['*', 'All', 'all', '$__all', '.*']);

export function resolveNodeChoice(raw: string | undefined): NodeChoice {
  const text = (raw ?? '').trim();
  if (ALL.has(text)) {
    return { kind: 'all' };
  }
  const names = text
    .replace(/^\{(.*)\}$/, '$1')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.some((n) => ALL.has(n))) {
    return { kind: 'all' };
  }
  const valid = [...new Set(names.filter((n) => NODE_NAME.test(n)))];
  if (valid.length === 0) {
    return { kind: 'self' };
  }
  return valid.length === 1 ? { kind: 'node', node: valid[0]! } : { kind: 'nodes', nodes: valid };
}

/**
 * The one node a single-node panel (lineage, gallery, actions) shows: the chosen node, else null — the sidecar the
 * app talks to — for none, several or all of them.
 */
export function singleNode(choice: NodeChoice): string | null {
  return choice.kind === 'node' ? choice.node : null;
}

/** A short label for the panel header: which node the panel shows. */
export function nodeChoiceLabel(choice: NodeChoice): string | null {
  switch (choice.kind) {
    case 'self':
      return null;
    case 'node':
      return `node ${choice.node}`;
    case 'nodes':
      return `nodes ${choice.nodes.join(', ')}`;
    case 'all':
      return 'every node';
  }
}
