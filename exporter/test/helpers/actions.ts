import type { ApiCall, TokenRole } from './sidecar';
import { waitFor } from './wait';

export interface PlanBody {
  plan_id: string;
  allowed: boolean;
  state: Record<string, unknown>;
  changes: { field: string; from: unknown; to: unknown }[];
  interlocks: { code: string; message: string }[];
}

let keys = 0;

/** Plans an action through the API; the plan answer (status and body). */
export async function plan(
  call: ApiCall,
  name: string,
  params: Record<string, unknown>,
  opts: { as?: TokenRole; headers?: Record<string, string> } = {}
): Promise<{ status: number; body: PlanBody }> {
  const r = await call('POST', `/api/v1/actions/${name}/plan`, {
    as: opts.as ?? 'operator',
    headers: opts.headers,
    body: { params },
  });
  return { status: r.status, body: r.body as PlanBody };
}

/**
 * Plans and applies an action as `as` (operator by default) with a fresh Idempotency-Key, waits for
 * it to reach a final status and returns the plan and the finished action.
 */
export async function planAndApply(
  call: ApiCall,
  name: string,
  params: Record<string, unknown>,
  reason: string,
  opts: { as?: TokenRole; headers?: Record<string, string> } = {}
): Promise<{ plan: PlanBody; action: Record<string, unknown> }> {
  const p = await plan(call, name, params, opts);
  if (p.status !== 200 || !p.body.allowed) throw new Error(`plan ${name} refused: ${JSON.stringify(p.body)}`);
  const applied = await call('POST', `/api/v1/actions/${name}/apply`, {
    as: opts.as ?? 'operator',
    headers: { ...opts.headers, 'idempotency-key': `test-${process.pid}-${++keys}` },
    body: { plan_id: p.body.plan_id, reason },
  });
  if (applied.status !== 202) throw new Error(`apply ${name}: ${applied.status} ${JSON.stringify(applied.body)}`);
  const id = (applied.body as { id: string }).id;
  const action = await waitFor(async () => {
    const r = (await call('GET', `/api/v1/actions/${id}`, { as: 'viewer' })).body as Record<string, unknown>;
    return r['finished_at'] ? r : null;
  });
  return { plan: p.body, action };
}
