import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config, GrafanaMappedRole, Role, TokenConfig, TokenRole } from '../config/config-schema';
import type { Logger } from '../log/logger';
import { LruCache } from './lru-cache';

/**
 * What a route requires. `public`: nothing (credentials are not looked at); `authenticated`: any
 * accepted caller, agents included (not the alertmanager token); `viewer < operator < admin`: that role
 * or a higher one; `agent`: an agent token, or an operator or admin acting for one; `alertmanager`: the
 * alertmanager token, and nothing else (it may call no other route either).
 */
export type Access = 'public' | 'authenticated' | 'viewer' | 'operator' | 'admin' | 'agent' | 'alertmanager';

export const ACCESS_LEVELS: readonly Access[] = [
  'public',
  'authenticated',
  'viewer',
  'operator',
  'admin',
  'agent',
  'alertmanager',
];

/** How the sidecar checked the `X-Grafana-Id` of a grafana-token request. */
export type IdTokenState = 'verified' | 'absent' | 'not_configured';

/** The Grafana user a grafana-token request acts for, as `X-Grafana-Context` named them. */
export interface GrafanaPerson {
  login: string;
  orgId: number;
  /** The org role as Grafana sent it (`Viewer`, `Editor`, `Admin`). */
  orgRole: string;
  userId: number | null;
  userUid: string | null;
  isGrafanaAdmin: boolean;
  /** The role the org role (and `server_admin_role`) maps to, before the ceiling. */
  mappedRole: GrafanaMappedRole;
  idToken: IdTokenState;
}

/** Who made a request, once accepted. */
export interface Principal {
  /** The token's configured name. */
  token: string;
  tokenRole: TokenRole;
  /** The role the request acts with: the token's, or the Grafana user's mapped and capped one. */
  role: Role;
  /** Recorded as the author of what the request changes: the token name, or `grafana:<login>`. */
  actor: string;
  /** Rate limits and idempotency keys are per person: the token name, or `grafana:<login>@<org id>`. */
  key: string;
  grafana: GrafanaPerson | null;
}

/**
 * What is known about a caller, refused ones included: the audit log records it for every control
 * call. A grafana token whose context names a `None` user is refused, yet its login and org are known.
 */
export interface CallerTrace {
  actor: string;
  token: string | null;
  tokenRole: TokenRole | null;
  /** The effective role; null when the caller was refused before one was settled. */
  role: Role | null;
  grafana: { login: string | null; orgId: number | null; orgRole: string | null } | null;
}

export function traceOf(p: Principal): CallerTrace {
  return {
    actor: p.actor,
    token: p.token,
    tokenRole: p.tokenRole,
    role: p.role,
    grafana: p.grafana ? { login: p.grafana.login, orgId: p.grafana.orgId, orgRole: p.grafana.orgRole } : null,
  };
}

export const ANONYMOUS_TRACE: CallerTrace = {
  actor: 'anonymous',
  token: null,
  tokenRole: null,
  role: null,
  grafana: null,
};

const RANK: Record<GrafanaMappedRole, number> = { viewer: 1, operator: 2, admin: 3 };

/** Whether a principal acting with `role` may use a route of the given access level. */
export function allows(access: Access, role: Role): boolean {
  if (access === 'public') return true;
  // The webhook credential is good for the webhook, and the webhook takes no other credential.
  if (access === 'alertmanager' || role === 'alertmanager') return access === 'alertmanager' && role === 'alertmanager';
  if (access === 'authenticated') return true;
  if (access === 'agent') return role === 'agent' || role === 'operator' || role === 'admin';
  if (role === 'agent') return false;
  return RANK[role] >= RANK[access];
}

/** The lower of two Grafana-mappable roles. */
export function lowerRole(a: GrafanaMappedRole, b: GrafanaMappedRole): GrafanaMappedRole {
  return RANK[a] <= RANK[b] ? a : b;
}

/** The higher of two Grafana-mappable roles. */
export function higherRole(a: GrafanaMappedRole, b: GrafanaMappedRole): GrafanaMappedRole {
  return RANK[a] >= RANK[b] ? a : b;
}

export function actorOf(p: Principal): string {
  return p.actor;
}

interface StoredToken {
  name: string;
  role: TokenRole;
  hash: Buffer;
}

export interface VerifiedToken {
  name: string;
  role: TokenRole;
}

const sha256 = (s: string): Buffer => crypto.createHash('sha256').update(s, 'utf8').digest();

/** Secrets recently verified, so a polling client does not cost a hash and a scan per request. */
const VERIFIED_CACHE_SIZE = 64;

/**
 * Tokens held as SHA-256 hashes; lookups compare hashes in constant time. The last few secrets that
 * verified are remembered (bounded, least recently used first out): a miss, and every unknown secret,
 * still takes the full constant-time path, so timing tells an attacker nothing about secrets they
 * do not already hold.
 */
export class TokenStore {
  private readonly tokens: StoredToken[];
  private readonly verified = new LruCache<string, VerifiedToken>(VERIFIED_CACHE_SIZE);

  constructor(tokens: readonly TokenConfig[]) {
    this.tokens = tokens.map((t) => ({ name: t.name, role: t.role, hash: sha256(t.secret) }));
  }

  verify(secret: string): VerifiedToken | null {
    const hit = this.verified.get(secret);
    if (hit) return { ...hit };
    const found = this.verifyConstantTime(secret);
    if (found) {
      this.verified.set(secret, found);
      return { ...found };
    }
    return null;
  }

  private verifyConstantTime(secret: string): VerifiedToken | null {
    const h = sha256(secret);
    let found: StoredToken | null = null;
    // Visit every token so the time taken does not reveal which one matched.
    for (const t of this.tokens) {
      if (crypto.timingSafeEqual(t.hash, h) && !found) found = t;
    }
    return found ? { name: found.name, role: found.role } : null;
  }

  get size(): number {
    return this.tokens.length;
  }
}

export const ADMIN_TOKEN_FILE = 'admin.token';

/**
 * Configured tokens, or — with none — an admin token generated once into the data folder
 * (mode 0600). The token itself is never logged, only the file's path.
 */
export function ensureTokens(config: Config, log: Logger): { tokens: TokenStore; generatedFile: string | null } {
  if (config.tokens.length) return { tokens: new TokenStore(config.tokens), generatedFile: null };
  const file = path.join(config.data_dir, ADMIN_TOKEN_FILE);
  let secret: string;
  try {
    secret = fs.readFileSync(file, 'utf8').trim();
    const mode = fs.statSync(file).mode & 0o777;
    if (mode & 0o077) {
      fs.chmodSync(file, 0o600);
      log.warn({ token_file: file }, 'admin token file was readable by others: mode reset to 0600');
    }
  } catch {
    secret = crypto.randomBytes(32).toString('base64url');
    fs.writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  }
  return { tokens: new TokenStore([{ name: 'admin', role: 'admin', secret }]), generatedFile: file };
}
