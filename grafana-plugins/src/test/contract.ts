/**
 * The sidecar's OpenAPI document (docs/openapi.json) as a validator for what the tests pretend the sidecar sent:
 * fixtures, fake-backend answers and, in the contract test, the live sidecar's answers. A body the sidecar could not
 * send — an invented field, a missing one, a wrong type or enum value — fails.
 *
 * Objects are checked closed: where the document does not say that more properties may come
 * (`additionalProperties`), a property it does not list is an error, because the plugins would be reading a field
 * the sidecar never promised.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import fs from 'node:fs';
import path from 'node:path';

type Schema = Record<string, unknown>;
interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

export const OPENAPI_FILE = path.resolve(__dirname, '../../../docs/openapi.json');

let doc: { paths: Record<string, Record<string, Operation>> } | undefined;
function openapi(): NonNullable<typeof doc> {
  doc ??= JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8')) as NonNullable<typeof doc>;
  return doc;
}

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
const compiled = new Map<string, ValidateFunction>();

/** A copy of `schema` where every object that does not allow more properties allows none. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) {
    return schema.map(closed);
  }
  if (typeof schema !== 'object' || schema === null) {
    return schema;
  }
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) {
    out[k] =
      k === 'properties' ? Object.fromEntries(Object.entries(v as Schema).map(([p, s]) => [p, closed(s)])) : closed(v);
  }
  if (out.properties && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}

/** `"GET /api/v1/incidents/{id}"` → the operation; throws when the document has no such route. */
function operation(route: string): Operation {
  const [method, p] = route.split(' ') as [string, string];
  const op = openapi().paths[p]?.[method.toLowerCase()];
  if (!op) {
    throw new Error(`docs/openapi.json has no ${route}`);
  }
  return op;
}

/** The OpenAPI path template a concrete sidecar path belongs to (`api/v1/incidents/x` → `/api/v1/incidents/{id}`). */
export function routeOf(method: string, concretePath: string): string | undefined {
  const p = '/' + concretePath.replace(/^\/+/, '').replace(/\?.*$/, '');
  const m = method.toLowerCase();
  // Literal segments win over parameters (`diagnostics/analytics` before `diagnostics/{id}`).
  const templates = Object.keys(openapi().paths)
    .filter((t) => openapi().paths[t]![m])
    .sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0));
  const hit = templates.find((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(p));
  return hit && `${method.toUpperCase()} ${hit}`;
}

/** The JSON schema of `route`'s answer with `status` (the first 2xx when omitted), then down `pointer`. */
export function responseSchema(route: string, status?: number, pointer: string[] = []): Schema {
  const responses = operation(route).responses ?? {};
  const code = status === undefined ? Object.keys(responses).find((s) => /^2\d\d$/.test(s)) : String(status);
  let schema = code ? responses[code]?.content?.['application/json']?.schema : undefined;
  if (!schema) {
    throw new Error(`docs/openapi.json has no JSON ${status ?? '2xx'} answer for ${route}`);
  }
  for (const step of pointer) {
    schema = (step === '[]' ? schema.items : (schema.properties as Record<string, Schema> | undefined)?.[step]) as
      Schema | undefined;
    if (!schema) {
      throw new Error(`no ${pointer.join('.')} in the answer of ${route}`);
    }
  }
  return schema;
}

/** Problems of `value` against `route`'s answer schema (see `responseSchema`); empty when it conforms. */
export function contractProblems(value: unknown, route: string, status?: number, pointer: string[] = []): string[] {
  const key = `${route} ${status ?? '2xx'} ${pointer.join('.')}`;
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(closed(responseSchema(route, status, pointer)) as Schema);
    compiled.set(key, validate);
  }
  if (validate(value)) {
    return [];
  }
  return (validate.errors ?? []).map((e) => {
    const extra = e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : '';
    return `${e.instancePath || '(root)'} ${e.message ?? e.keyword}${extra}`;
  });
}

/** Throws unless `value` is something the sidecar could answer `route` with; returns it for use as a fixture. */
export function conforming<T>(value: T, route: string, pointer: string[] = [], status?: number): T {
  const problems = contractProblems(value, route, status, pointer);
  if (problems.length > 0) {
    const where = pointer.length ? ` at ${pointer.join('.')}` : '';
    throw new Error(`not what the sidecar sends for ${route}${where}: ${problems.join('; ')}`);
  }
  return value;
}

const violations: string[] = [];

/** Records a contract problem found while a test runs (the fake backend); jest-setup fails the test with them. */
export function reportViolation(message: string): void {
  violations.push(message);
}

/** The violations recorded since the last call. */
export function takeViolations(): string[] {
  return violations.splice(0, violations.length);
}
