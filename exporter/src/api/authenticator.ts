import type { Request } from 'express';
import type { Config } from '../config/config-schema';
import type { MetricsRegistry } from '../metrics/metrics-registry';
import { ANONYMOUS_TRACE, type CallerTrace, type IdTokenState, type Principal, type TokenStore } from './auth';
import { ApiError } from './errors';
import {
  GRAFANA_CONTEXT_HEADER,
  GRAFANA_ID_HEADER,
  type GrafanaContext,
  GrafanaContextError,
  GrafanaRoleRefusedError,
  grafanaRoleOf,
  parseGrafanaContext,
} from './grafana-context';
import {
  GrafanaIdTokenInvalidError,
  GrafanaIdTokenVerifier,
  GrafanaSigningKeysUnavailableError,
  signingKeysUrl,
} from './grafana-id-token';

const RESOLVED = Symbol('lookout.principal');
const TRACE = Symbol('lookout.callerTrace');
type WithAuth = Request & { [RESOLVED]?: Promise<Principal | null>; [TRACE]?: CallerTrace };

/**
 * Turns a request's credentials into a Principal, once per request. A plain token acts as itself. A
 * `grafana` token is a delegation: the request acts for the Grafana user in `X-Grafana-Context`
 * (which Grafana's plugin proxy always sets, replacing a browser's copy), with that user's mapped
 * and capped role, after `X-Grafana-Id` is checked against Grafana's keys when they are configured.
 * Context headers sent with any other token are ignored (and counted): only the delegation may name a
 * person.
 */
export class Authenticator {
  private readonly idTokens: GrafanaIdTokenVerifier | null;
  private readonly contextIgnored;

  constructor(
    private readonly tokens: TokenStore,
    private readonly cfg: Config['http']['grafana'],
    metrics: MetricsRegistry
  ) {
    const url = signingKeysUrl(cfg);
    this.idTokens = url ? new GrafanaIdTokenVerifier(url, cfg) : null;
    this.contextIgnored = metrics.counter({
      name: 'lookout_http_grafana_context_ignored_total',
      help: 'Requests whose X-Grafana-Context or X-Grafana-Id was ignored because their token is not a grafana token',
    });
  }

  /** Whether X-Grafana-Id tokens are verified (a Grafana URL or JWKS URL is configured). */
  get verifiesIdTokens(): boolean {
    return this.idTokens !== null;
  }

  /**
   * The request's caller, or null when it sent no Authorization header. Throws ApiError (401, 403,
   * 503); the same answer for every call on one request.
   */
  principalOf(req: Request): Promise<Principal | null> {
    const r = req as WithAuth;
    r[RESOLVED] ??= this.resolve(r);
    return r[RESOLVED];
  }

  /** What is known about the caller so far, also after a refusal (the audit log records it). */
  traceOf(req: Request): CallerTrace {
    return (req as WithAuth)[TRACE] ?? ANONYMOUS_TRACE;
  }

  private async resolve(req: WithAuth): Promise<Principal | null> {
    const header = req.headers.authorization;
    if (!header) return null;
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw unauthenticated('malformed Authorization header: expected "Bearer <token>"');
    const tok = this.tokens.verify(m[1]!);
    if (!tok) throw unauthenticated('unknown token');
    if (tok.role !== 'grafana') {
      if (req.headers[GRAFANA_CONTEXT_HEADER] !== undefined || req.headers[GRAFANA_ID_HEADER] !== undefined) {
        this.contextIgnored.inc();
      }
      const p: Principal = {
        token: tok.name,
        tokenRole: tok.role,
        role: tok.role,
        actor: tok.name,
        key: tok.name,
        grafana: null,
      };
      req[TRACE] = { actor: p.actor, token: p.token, tokenRole: p.tokenRole, role: p.role, grafana: null };
      return p;
    }
    const trace: CallerTrace = { actor: tok.name, token: tok.name, tokenRole: 'grafana', role: null, grafana: null };
    req[TRACE] = trace;
    let c: GrafanaContext;
    try {
      c = parseGrafanaContext(req.headers[GRAFANA_CONTEXT_HEADER]);
    } catch (err) {
      if (!(err instanceof GrafanaContextError)) throw err;
      throw new ApiError(err.kind === 'missing' ? 'grafana_context_missing' : 'grafana_context_invalid', err.message);
    }
    trace.grafana = { login: c.Login, orgId: c.OrgID, orgRole: c.OrgRole };
    if (c.Login.trim() !== '') trace.actor = `grafana:${c.Login}`;
    // Who it is (401s) before what they may do (403s).
    const idToken = await this.checkIdToken(req, c);
    let roles: ReturnType<typeof grafanaRoleOf>;
    try {
      roles = grafanaRoleOf(c, this.cfg);
    } catch (err) {
      if (!(err instanceof GrafanaRoleRefusedError)) throw err;
      throw new ApiError('grafana_role_refused', err.message);
    }
    trace.role = roles.effective;
    return {
      token: tok.name,
      tokenRole: 'grafana',
      role: roles.effective,
      actor: trace.actor,
      key: `grafana:${c.Login}@${c.OrgID}`,
      grafana: {
        login: c.Login,
        orgId: c.OrgID,
        orgRole: c.OrgRole,
        userId: c.UserID ?? null,
        userUid: c.UserUID ?? null,
        isGrafanaAdmin: c.IsGrafanaAdmin === true,
        mappedRole: roles.mapped,
        idToken,
      },
    };
  }

  private async checkIdToken(req: Request, c: GrafanaContext): Promise<IdTokenState> {
    if (!this.idTokens) return 'not_configured';
    const header = req.headers[GRAFANA_ID_HEADER];
    if (header === undefined || header === '') {
      if (this.cfg.require_id_token) {
        throw new ApiError(
          'grafana_id_token_missing',
          'X-Grafana-Id is required (http.grafana.require_id_token): turn on ID forwarding in Grafana'
        );
      }
      return 'absent';
    }
    if (Array.isArray(header)) throw new ApiError('grafana_id_token_invalid', 'X-Grafana-Id was sent more than once');
    try {
      await this.idTokens.verify(header, c);
      return 'verified';
    } catch (err) {
      if (err instanceof GrafanaIdTokenInvalidError) throw new ApiError('grafana_id_token_invalid', err.message);
      if (err instanceof GrafanaSigningKeysUnavailableError) {
        // Fail closed: an unverifiable token is never taken on trust, but it is not the caller's fault.
        throw new ApiError('not_ready', `cannot verify X-Grafana-Id: ${err.message}`);
      }
      throw err;
    }
  }
}

function unauthenticated(message: string): ApiError {
  return new ApiError('unauthenticated', message, undefined, { 'WWW-Authenticate': 'Bearer realm="lookout"' });
}
