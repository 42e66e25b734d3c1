import { z } from 'zod';
import type { SidecarContext } from '../../context';
import { GRAFANA_ROLES, ROLES, TOKEN_ROLES } from '../../config/config-schema';
import type { ApiRouter } from '../api-router';
import type { Principal } from '../auth';
import { stdErrors } from '../schemas';

export const whoamiSchema = z
  .object({
    actor: z.string().describe('Recorded as the author of what you change: the token name, or grafana:<login>'),
    role: z.enum(ROLES).describe('The role your requests act with'),
    token: z.object({ name: z.string(), role: z.enum(TOKEN_ROLES) }).describe('The credential the request carried'),
    grafana: z
      .object({
        login: z.string(),
        org_id: z.number(),
        org_role: z.string(),
        is_grafana_admin: z.boolean(),
        mapped_role: z.enum(GRAFANA_ROLES).describe('What the org role maps to, before the ceiling'),
        id_token: z
          .enum(['verified', 'absent', 'not_configured'])
          .describe('X-Grafana-Id: verified against Grafana keys, not sent, or not checked (no Grafana URL set)'),
      })
      .nullable()
      .describe('The Grafana user a grafana delegation token acts for; null for any other token'),
    ceiling: z
      .enum(GRAFANA_ROLES)
      .nullable()
      .describe('http.grafana.role_ceiling for a grafana token; null for any other token'),
    warnings: z.array(z.string()).describe('What an admin should fix about this credential, in words'),
  })
  .describe('Who the sidecar thinks you are');
export type Whoami = z.infer<typeof whoamiSchema>;

/** The caller as GET /api/v1/whoami describes it, with what is worth fixing about the credential. */
export function whoamiOf(p: Principal, ctx: SidecarContext): Whoami {
  const cfg = ctx.config.http.grafana;
  const warnings: string[] = [];
  if (!p.grafana) {
    warnings.push(
      `this credential is not a grafana delegation token: whoever holds it acts as token ${p.token} with role ` +
        `${p.role}; if Grafana holds it, every Grafana user acts as token ${p.token}. Give Grafana a token with role grafana`
    );
  } else {
    const g = p.grafana;
    if (g.mappedRole !== p.role) {
      warnings.push(
        `your Grafana role ${g.orgRole} maps to ${g.mappedRole}; http.grafana.role_ceiling caps it to ${p.role}`
      );
    }
    if (g.isGrafanaAdmin && !cfg.server_admin_role) {
      warnings.push('you are a Grafana server admin: that gives no extra role here (http.grafana.server_admin_role)');
    }
    if (g.idToken === 'not_configured') {
      warnings.push(
        'X-Grafana-Id is not verified: set http.grafana.url (or http.grafana.jwks_url) so the sidecar checks ' +
          "the ID token Grafana signs against Grafana's keys"
      );
    } else if (g.idToken === 'absent') {
      warnings.push(
        'Grafana sent no X-Grafana-Id: turn on ID forwarding in Grafana (feature toggle idForwarding), then set ' +
          'http.grafana.require_id_token'
      );
    }
  }
  return {
    actor: p.actor,
    role: p.role,
    token: { name: p.token, role: p.tokenRole },
    grafana: p.grafana
      ? {
          login: p.grafana.login,
          org_id: p.grafana.orgId,
          org_role: p.grafana.orgRole,
          is_grafana_admin: p.grafana.isGrafanaAdmin,
          mapped_role: p.grafana.mappedRole,
          id_token: p.grafana.idToken,
        }
      : null,
    ceiling: p.grafana ? cfg.role_ceiling : null,
    warnings,
  };
}

export function registerIdentityRoutes(api: ApiRouter, ctx: SidecarContext): void {
  api.add(
    {
      method: 'get',
      path: '/api/v1/whoami',
      access: 'authenticated',
      summary: 'Who the sidecar thinks you are: actor, role, token, the Grafana user of a grafana token, warnings',
      tags: ['meta'],
      responses: { 200: { description: 'your identity', schema: whoamiSchema }, ...stdErrors },
    },
    ({ principal }) => whoamiOf(principal, ctx)
  );
}
