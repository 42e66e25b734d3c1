import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config, Role, TokenConfig } from '../config/config-schema';
import type { Logger } from '../log/logger';

export type Access = 'public' | 'viewer' | 'operator' | 'admin' | 'agent';

/** Who made a request: the token's name and role, plus the Grafana user the proxy vouched for. */
export interface Principal {
  token: string;
  role: Role;
  grafanaUser: string | null;
}

const RANK: Record<Exclude<Role, 'agent'>, number> = { viewer: 1, operator: 2, admin: 3 };

/** Whether a principal may use a route of the given access level. */
export function allows(access: Access, role: Role): boolean {
  if (access === 'public') return true;
  if (access === 'agent') return role === 'agent' || role === 'operator' || role === 'admin';
  if (role === 'agent') return false;
  return RANK[role] >= RANK[access];
}

export function actorOf(p: Principal): string {
  return p.grafanaUser ? `${p.token}/${p.grafanaUser}` : p.token;
}

interface StoredToken {
  name: string;
  role: Role;
  hash: Buffer;
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
  private readonly verified = new Map<string, { name: string; role: Role }>();

  constructor(tokens: readonly TokenConfig[]) {
    this.tokens = tokens.map((t) => ({ name: t.name, role: t.role, hash: sha256(t.secret) }));
  }

  verify(secret: string): { name: string; role: Role } | null {
    const hit = this.verified.get(secret);
    if (hit) {
      // Re-insert: Map order is the LRU order.
      this.verified.delete(secret);
      this.verified.set(secret, hit);
      return { ...hit };
    }
    const found = this.verifyConstantTime(secret);
    if (found) {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(secret, found);
      return { ...found };
    }
    return null;
  }

  private verifyConstantTime(secret: string): { name: string; role: Role } | null {
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
