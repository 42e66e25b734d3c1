import { type JWTPayload, type JWTVerifyGetKey, createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { Config } from '../config/config-schema';
import type { GrafanaContext } from './grafana-context';
import { LruCache } from './lru-cache';

/**
 * Grafana publishes the public keys it signs ID tokens with (ES256, `kid` in the header) as a JWKS
 * at `/api/signing-keys/keys`, without authentication.
 */
export const GRAFANA_SIGNING_KEYS_PATH = '/api/signing-keys/keys';

/** Asymmetric algorithms only: a key set can never turn an HMAC secret or `none` into a signature. */
const ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'];

/** Slack for clocks that disagree a little between Grafana and the sidecar. */
const CLOCK_TOLERANCE_S = 30;

/** The token is not a valid Grafana ID token for this request's user. */
export class GrafanaIdTokenInvalidError extends Error {
  override name = 'GrafanaIdTokenInvalidError';
}

/** Grafana's signing keys could not be fetched: nothing can be verified until they can. */
export class GrafanaSigningKeysUnavailableError extends Error {
  override name = 'GrafanaSigningKeysUnavailableError';
}

/** Where the signing keys are, from `http.grafana`: `jwks_url`, else `<url>/api/signing-keys/keys`, else none. */
export function signingKeysUrl(cfg: Config['http']['grafana']): string | null {
  if (cfg.jwks_url) return cfg.jwks_url;
  if (cfg.url) return cfg.url.replace(/\/+$/, '') + GRAFANA_SIGNING_KEYS_PATH;
  return null;
}

/**
 * What Grafana puts in an ID token (grafana/grafana `pkg/services/auth/idimpl`, authlib
 * `IDTokenClaims`): `sub` = `<type>:<uid or id>`, `aud` = [`org:<org id>`], `namespace` (`default`
 * for org 1, `org-<id>`; `stacks-<id>` in Grafana Cloud), `identifier`, `type`, and for users
 * `username` (the login), `email`, `name`.
 */
interface GrafanaIdClaims extends JWTPayload {
  username?: unknown;
  namespace?: unknown;
}

/**
 * Verifies `X-Grafana-Id` against Grafana's keys with `jose`: signature (keys fetched once, cached
 * for `jwks_cache_max_age_ms`, fetched again when a token names an unknown key id — a rotation — at
 * most once per `jwks_cooldown_ms`), `typ`, expiry, audience = the context's org; then that the
 * token names the same user as `X-Grafana-Context`.
 */
export class GrafanaIdTokenVerifier {
  private readonly keys: JWTVerifyGetKey;
  /**
   * Tokens already verified for a given context → their expiry (ms). A signature check costs far more
   * than the rest of a request, and Grafana sends one user the same token until it renews it. A key
   * Grafana stops publishing is therefore honoured for tokens verified before, until they expire
   * (Grafana's ID tokens live 10 minutes).
   */
  private readonly verified = new LruCache<string, number>(1024);

  constructor(
    readonly url: string,
    cfg: Pick<Config['http']['grafana'], 'jwks_cooldown_ms' | 'jwks_cache_max_age_ms' | 'jwks_timeout_ms'>
  ) {
    const remote = createRemoteJWKSet(new URL(url), {
      cooldownDuration: cfg.jwks_cooldown_ms,
      cacheMaxAge: cfg.jwks_cache_max_age_ms,
      timeoutDuration: cfg.jwks_timeout_ms,
    });
    this.keys = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (err) {
        // An unknown key id (even after a fresh fetch) is the token's fault; anything else is the fetch's.
        if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err;
        if (err instanceof errors.JOSENotSupported || err instanceof errors.JWKInvalid) throw err;
        throw new GrafanaSigningKeysUnavailableError(
          `Grafana's signing keys could not be fetched from ${url}: ${(err as Error).message}`,
          { cause: err }
        );
      }
    };
  }

  /** Throws GrafanaIdTokenInvalidError or GrafanaSigningKeysUnavailableError. */
  async verify(token: string, context: GrafanaContext): Promise<void> {
    const cacheKey = [token, context.OrgID, context.Login, context.UserUID ?? '', context.UserID ?? ''].join('\n');
    const until = this.verified.get(cacheKey);
    if (until !== undefined) {
      if (Date.now() < until) return;
      this.verified.delete(cacheKey);
    }
    let payload: GrafanaIdClaims;
    try {
      ({ payload } = await jwtVerify<GrafanaIdClaims>(token, this.keys, {
        algorithms: ALGORITHMS,
        typ: 'jwt',
        audience: `org:${context.OrgID}`,
        requiredClaims: ['exp', 'sub', 'aud'],
        clockTolerance: CLOCK_TOLERANCE_S,
      }));
    } catch (err) {
      if (err instanceof GrafanaSigningKeysUnavailableError) throw err;
      throw new GrafanaIdTokenInvalidError(`X-Grafana-Id is not valid: ${describe(err)}`, { cause: err });
    }
    const mismatch = mismatchOf(payload, context);
    if (mismatch) throw new GrafanaIdTokenInvalidError(`X-Grafana-Id does not match X-Grafana-Context: ${mismatch}`);
    // requiredClaims makes `exp` present; the clock tolerance is not extended past it.
    this.verified.set(cacheKey, payload.exp! * 1000);
  }
}

function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `claim ${err.claim} ${err.reason}: ${err.message}`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  if (err instanceof errors.JWKSNoMatchingKey) return "no key of Grafana's key set matches the token";
  if (err instanceof errors.JOSEAlgNotAllowed) return 'the signing algorithm is not allowed';
  return (err as Error).message;
}

/** Why the verified claims name another user or org than the context, or null when they agree. */
function mismatchOf(p: GrafanaIdClaims, c: GrafanaContext): string | null {
  const sub = typeof p.sub === 'string' ? p.sub : '';
  const colon = sub.indexOf(':');
  const type = colon > 0 ? sub.slice(0, colon) : '';
  const id = colon > 0 ? sub.slice(colon + 1) : '';
  const ids = [c.UserUID, c.UserID === undefined ? undefined : String(c.UserID)].filter(
    (v): v is string => typeof v === 'string' && v !== '' && v !== '0'
  );
  if (!['user', 'service-account'].includes(type) || !ids.includes(id)) {
    return `subject ${JSON.stringify(sub)} is not the context's user`;
  }
  if (type === 'user' && p.username !== c.Login) {
    return `login ${JSON.stringify(p.username)} is not ${JSON.stringify(c.Login)}`;
  }
  if (typeof p.namespace === 'string') {
    const m = /^org-(\d+)$/.exec(p.namespace);
    const org = p.namespace === 'default' ? 1 : m ? Number(m[1]) : null;
    if (org !== null && org !== c.OrgID) return `namespace ${p.namespace} is not org ${c.OrgID}`;
  }
  return null;
}
