import { type Db, prepareCached } from '../store/database';
import type { ControlHook } from '../api/api-router';
import type { Logger } from '../log/logger';

export interface AuditEntry {
  seq: number;
  ts: string;
  actor: string;
  token: string | null;
  /** The token's configured role (`grafana` for the delegation token). */
  token_role: string | null;
  /** The Grafana login a grafana token acted for (from X-Grafana-Context). */
  grafana_user: string | null;
  grafana_org_id: number | null;
  grafana_org_role: string | null;
  /** The effective role the call acted with; null when it was refused before one was settled. */
  role: string | null;
  method: string;
  path: string;
  route: string;
  action: string;
  reason: string | null;
  status: number;
  result: string;
  request_id: string | null;
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  since?: string;
  until?: string;
  before?: number;
  limit: number;
}

const str = (v: unknown, max: number): string | null =>
  typeof v === 'string' && v.length > 0 ? v.slice(0, max) : null;

/** What a control call did, in words: `kill`, `incidents.ack`, `scheduler.pause`, `actions.plan:retrain`. */
export function auditActionOf(method: string, route: string, params: Record<string, unknown>): string {
  const name = str(params['name'], 64);
  const m = /^\/api\/v1\/(fleet\/)?actions\/:name\/(plan|apply)$/.exec(route);
  if (m) return `${m[1] ? 'fleet.' : ''}${m[2]}:${name ?? '?'}`;
  // A control call forwarded by the hub to one node: the node audits what it did, the hub that it forwarded.
  if (route.startsWith('/api/v1/fleet/nodes/:node/')) return `fleet.forward:${str(params['node'], 128) ?? '?'}`;
  const clean = route
    .replace(/^\/api\/v1\//, '')
    .replace(/^\//, '')
    .split('/')
    .filter((t) => t && !t.startsWith(':'))
    .join('.');
  return clean || `${method.toLowerCase()} ${route}`;
}

/**
 * The audit log: one row per control call, whoever made it and however it ended — the token, and
 * for the grafana delegation token the person (login, org, org role), refused calls included.
 */
export class AuditLog {
  constructor(
    private readonly db: Db,
    private readonly log: Logger
  ) {}

  record(e: Omit<AuditEntry, 'seq'>): AuditEntry {
    const info = prepareCached(
      this.db,
      `INSERT INTO audit_log (ts, actor, token, token_role, grafana_user, grafana_org_id, grafana_org_role, role,
                              method, path, route, action, reason, status, result, request_id)
         VALUES (@ts, @actor, @token, @token_role, @grafana_user, @grafana_org_id, @grafana_org_role, @role,
                 @method, @path, @route, @action, @reason, @status, @result, @request_id)`
    ).run(e);
    return { ...e, seq: Number(info.lastInsertRowid) };
  }

  query(q: AuditQuery): AuditEntry[] {
    const where: string[] = [];
    const args: Record<string, unknown> = { limit: q.limit };
    for (const [k, col, op] of [
      ['actor', 'actor', '='],
      ['action', 'action', '='],
      ['since', 'ts', '>='],
      ['until', 'ts', '<'],
      ['before', 'seq', '<'],
    ] as const) {
      const v = q[k];
      if (v !== undefined) {
        where.push(`${col} ${op} @${k}`);
        args[k] = v;
      }
    }
    return prepareCached(
      this.db,
      `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT @limit`
    ).all(args) as AuditEntry[];
  }

  count(): number {
    return (prepareCached(this.db, 'SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
  }

  /** The hook the HTTP server calls after every control request. */
  hook(): ControlHook {
    return ({ route, caller, req, params, status, body }) => {
      try {
        const reqBody = req.body as unknown;
        const bodyReason =
          reqBody && typeof reqBody === 'object' && !Array.isArray(reqBody)
            ? (reqBody as Record<string, unknown>)['reason']
            : undefined;
        const queryReason = (req.query as Record<string, unknown> | undefined)?.['reason'];
        const reason = str(bodyReason, 1000) ?? str(queryReason, 1000);
        const err = body && typeof body === 'object' ? (body as { error?: { code?: unknown } }).error : undefined;
        const result = status < 400 ? resultOf(body) : `error:${typeof err?.code === 'string' ? err.code : status}`;
        this.record({
          ts: new Date().toISOString(),
          actor: caller.actor,
          token: caller.token,
          token_role: caller.tokenRole,
          grafana_user: str(caller.grafana?.login, 256),
          grafana_org_id: caller.grafana?.orgId ?? null,
          grafana_org_role: str(caller.grafana?.orgRole, 64),
          role: caller.role,
          method: req.method,
          path: req.originalUrl.split('?')[0]!.slice(0, 1024),
          route: route.path,
          action: auditActionOf(req.method, route.path, params),
          reason,
          status,
          result,
          request_id: str((req.res?.locals as { requestId?: unknown } | undefined)?.requestId, 128),
        });
      } catch (e) {
        // The audit write failing must be loud, but it cannot undo a response already sent.
        this.log.error({ err: e, route: route.path }, 'audit log write failed');
      }
    };
  }
}

function resultOf(body: unknown): string {
  if (!body || typeof body !== 'object') return 'ok';
  const b = body as Record<string, unknown>;
  if (typeof b['ticks_total'] === 'number' && typeof b['id'] === 'string')
    return `backtest ${b['id']} ${String(b['status'])}`;
  if (typeof b['status'] === 'string' && typeof b['id'] === 'string') return `action ${b['id']} ${b['status']}`;
  if (typeof b['plan_id'] === 'string') return `plan ${b['plan_id']} allowed=${String(b['allowed'])}`;
  if (typeof b['paused'] === 'boolean') return `paused=${String(b['paused'])}`;
  if (typeof b['id'] === 'string') return `ok ${b['id']}`;
  return 'ok';
}
