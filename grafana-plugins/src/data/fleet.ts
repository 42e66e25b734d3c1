import type { FleetFollowStatus, FleetNode, FleetPlan, FleetResponse, FleetSelector } from '../api';

/** `region=eu, tier=canary` → `{ labels: { region: 'eu', tier: 'canary' } }`; empty → every node. */
export function parseLabelSelector(text: string): { selector?: FleetSelector; problem?: string } {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) {
    return {};
  }
  const labels: Record<string, string> = {};
  for (const p of parts) {
    const m = /^([a-z][a-z0-9_]*)\s*=\s*([A-Za-z0-9_.:-]+)$/.exec(p);
    if (!m) {
      return { problem: `"${p}" is not label=value (label: lower_snake_case; value: letters, digits, _ . : -)` };
    }
    labels[m[1]!] = m[2]!;
  }
  return { selector: { labels } };
}

/** Statuses a node reports once it is done with a revision of the fleet kill state. */
export const SETTLED: readonly FleetFollowStatus[] = [
  'verified',
  'applied',
  'failed',
  'timed_out',
  'unchanged',
  'held_locally',
  'not_selected',
  'not_following',
];

/** Where one node stands with the revision an apply wrote, as the hub sees its membership record. */
export interface NodeProgress {
  node: string;
  state: FleetNode['state'];
  /** What the node reported for this revision; `waiting` until it reports it. */
  status: FleetFollowStatus | 'waiting';
  engaged: boolean;
  error: string | null;
}

/** Progress of every node the plan selected towards `revision`. */
export function progressOf(fleet: FleetResponse, plan: Pick<FleetPlan, 'nodes'>, revision: number): NodeProgress[] {
  const byName = new Map(fleet.nodes.map((n) => [n.node, n]));
  return plan.nodes
    .filter((p) => p.selected)
    .map((p) => {
      const n = byName.get(p.node);
      const report = n?.fleet_kill && n.fleet_kill.revision === revision ? n.fleet_kill : null;
      return {
        node: p.node,
        state: n?.state ?? 'gone',
        status: report ? report.status : 'waiting',
        engaged: n?.kill.engaged ?? p.from.engaged,
        error: report?.error ?? null,
      };
    });
}

/** Every node reported a final status for the revision (a stale one may take until it is back). */
export function allSettled(progress: readonly NodeProgress[]): boolean {
  return progress.every((p) => p.status !== 'waiting' && SETTLED.includes(p.status));
}

/** Counts of nodes by state, for the Fleet page's summary. */
export function stateCounts(fleet: Pick<FleetResponse, 'nodes'>): Record<FleetNode['state'], number> {
  const c: Record<FleetNode['state'], number> = { up: 0, stale: 0, gone: 0, stopped: 0 };
  for (const n of fleet.nodes) {
    c[n.state] += 1;
  }
  return c;
}
