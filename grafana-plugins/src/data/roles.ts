import { config } from '@grafana/runtime';

export type OrgRole = 'Viewer' | 'Editor' | 'Admin' | 'None';

const RANK: Record<OrgRole, number> = { None: 0, Viewer: 1, Editor: 2, Admin: 3 };

/** The signed-in user's org role, the one Grafana checks against a proxy route's `reqRole`. */
export function currentOrgRole(): OrgRole {
  const role = config.bootData?.user?.orgRole as string | undefined;
  return role === 'Admin' || role === 'Editor' || role === 'Viewer' ? role : 'None';
}

export function hasRole(actual: OrgRole, required: OrgRole): boolean {
  return RANK[actual] >= RANK[required];
}

/** Actions whose apply route requires Admin in plugin.json; everything else needs Editor. */
export const ADMIN_ACTIONS = ['kill_release', 'flush_guardrails', 'policy_apply'];

export function requiredRoleForAction(name: string): OrgRole {
  return ADMIN_ACTIONS.includes(name) ? 'Admin' : 'Editor';
}

export interface Availability {
  enabled: boolean;
  reason?: string;
}

/** Whether the user's role reaches `required` (a proxy route's `reqRole`), and if not, the reason to show. */
export function roleAvailability(role: OrgRole, required: OrgRole): Availability {
  return hasRole(role, required)
    ? { enabled: true }
    : {
        enabled: false,
        reason: `Requires the ${required} role (you are ${role === 'None' ? 'not in this org' : role})`,
      };
}

/** Whether a control button may be pressed, and if not, the reason shown next to it. */
export function actionAvailability(name: string, role: OrgRole, killSwitchEngaged: boolean | undefined): Availability {
  const byRole = roleAvailability(role, requiredRoleForAction(name));
  if (!byRole.enabled) {
    return byRole;
  }
  if (killSwitchEngaged === undefined) {
    return { enabled: false, reason: 'Sidecar state unknown' };
  }
  if (killSwitchEngaged && name !== 'kill_release') {
    return { enabled: false, reason: 'Kill switch engaged: only kill_release is allowed' };
  }
  if (!killSwitchEngaged && name === 'kill_release') {
    return { enabled: false, reason: 'Kill switch is not engaged' };
  }
  return { enabled: true };
}
