import { z } from 'zod';
import type { Config, GrafanaMappedRole } from '../config/config-schema';
import { higherRole, lowerRole } from './auth';
import { LruCache } from './lru-cache';

/**
 * `X-Grafana-Context`: Grafana's app plugin proxy sets it on every proxied request to the JSON of
 * the signed-in user (`json.Marshal` of Go's `SignedInUser`, so the field names are Go's: `UserID`,
 * `UserUID`, `OrgID`, `OrgName`, `OrgRole`, `Login`, `Name`, `Email`, `IsGrafanaAdmin`,
 * `IsAnonymous`, …), replacing any copy the browser sent. Only the fields the sidecar decides on are
 * required; the others are kept loose so a Grafana that adds fields is still understood.
 */
export const GRAFANA_CONTEXT_HEADER = 'x-grafana-context';
/** Grafana's ID token (a JWT it signs) when ID forwarding is on. */
export const GRAFANA_ID_HEADER = 'x-grafana-id';

const printable = /^[^\p{Cc}]*$/u;

export const grafanaContextSchema = z.looseObject({
  Login: z.string().max(256).regex(printable, 'no control characters'),
  OrgID: z.number().int().min(1),
  OrgRole: z.string().max(64),
  UserID: z.number().int().optional(),
  UserUID: z.string().max(256).optional(),
  OrgName: z.string().optional(),
  Name: z.string().optional(),
  Email: z.string().optional(),
  IsGrafanaAdmin: z.boolean().optional(),
  IsAnonymous: z.boolean().optional(),
  IsServiceAccount: z.boolean().optional(),
});
export type GrafanaContext = Readonly<z.infer<typeof grafanaContextSchema>>;

/** Org roles the sidecar maps; anything else (`None`, a role Grafana may add later) is refused. */
const ORG_ROLE_MAP: Readonly<Record<string, GrafanaMappedRole>> = {
  Viewer: 'viewer',
  Editor: 'operator',
  Admin: 'admin',
};

/** The header is missing, or is not the JSON of a signed-in user. */
export class GrafanaContextError extends Error {
  override name = 'GrafanaContextError';
  constructor(
    readonly kind: 'missing' | 'invalid',
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options);
  }
}

/** The Grafana user is known but may not use the sidecar (None, anonymous, no login). */
export class GrafanaRoleRefusedError extends Error {
  override name = 'GrafanaRoleRefusedError';
}

/**
 * Parsed headers by their exact text: Grafana sends the same bytes on every request of one user, so
 * a dashboard's polling costs a map lookup instead of a JSON parse and a validation. Only what
 * parsed is kept; a refusal is computed again each time.
 */
const parsed = new LruCache<string, GrafanaContext>(256);

/** Parses the header value; throws GrafanaContextError. The result is shared: do not change it. */
export function parseGrafanaContext(header: string | string[] | undefined): GrafanaContext {
  if (typeof header === 'string') {
    const hit = parsed.get(header);
    if (hit) return hit;
  }
  const c = parseUncached(header);
  parsed.set(header as string, c);
  return c;
}

function parseUncached(header: string | string[] | undefined): GrafanaContext {
  if (header === undefined || header === '') {
    throw new GrafanaContextError(
      'missing',
      'a grafana token needs X-Grafana-Context: call the sidecar through the Grafana app plugin proxy'
    );
  }
  if (Array.isArray(header)) throw new GrafanaContextError('invalid', 'X-Grafana-Context was sent more than once');
  let json: unknown;
  try {
    json = JSON.parse(header);
  } catch (err) {
    throw new GrafanaContextError('invalid', 'X-Grafana-Context is not JSON', { cause: err });
  }
  const r = grafanaContextSchema.safeParse(json);
  if (!r.success) {
    const first = r.error.issues[0];
    const where = first && first.path.length ? first.path.join('.') : '(root)';
    throw new GrafanaContextError(
      'invalid',
      `X-Grafana-Context is not a signed-in Grafana user: ${where}: ${first?.message ?? 'invalid'}`,
      { cause: r.error }
    );
  }
  return r.data;
}

/**
 * The sidecar role a Grafana user gets: org role Viewer → viewer, Editor → operator, Admin → admin;
 * a server admin gets at least `server_admin_role` when one is configured (nothing extra otherwise);
 * the result is capped by `role_ceiling`. Throws GrafanaRoleRefusedError for anonymous users, users
 * without a login and org roles the map does not know (`None` included).
 */
export function grafanaRoleOf(
  c: GrafanaContext,
  cfg: Config['http']['grafana']
): { mapped: GrafanaMappedRole; effective: GrafanaMappedRole } {
  if (c.IsAnonymous) throw new GrafanaRoleRefusedError('anonymous Grafana users may not use the sidecar');
  if (c.Login.trim() === '') throw new GrafanaRoleRefusedError('the Grafana user has no login');
  let mapped: GrafanaMappedRole | undefined = Object.hasOwn(ORG_ROLE_MAP, c.OrgRole)
    ? ORG_ROLE_MAP[c.OrgRole]
    : undefined;
  if (c.IsGrafanaAdmin && cfg.server_admin_role) {
    mapped = mapped ? higherRole(mapped, cfg.server_admin_role) : cfg.server_admin_role;
  }
  if (!mapped) {
    throw new GrafanaRoleRefusedError(
      `Grafana org role ${JSON.stringify(c.OrgRole)} gives no access to the sidecar (Viewer, Editor or Admin do)`
    );
  }
  return { mapped, effective: lowerRole(mapped, cfg.role_ceiling) };
}
