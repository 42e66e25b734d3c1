import fs from 'node:fs';
import path from 'node:path';
import { startTestSidecar, type TestSidecar } from '../helpers/sidecar';
import { toOpenApiPath } from '../../src/api/api-router';

/**
 * docs/openapi.json is the contract the Grafana plugins are generated from: every route of the sidecar's route
 * table (classic aliases aside) is in it, with its path parameters, a JSON request body schema where it takes a
 * body, and a schema for every success response.
 */
const ROOT = path.resolve(__dirname, '../../..');

interface Operation {
  parameters?: Array<{ in: string; name: string; required?: boolean; schema?: unknown }>;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
type OpenApi = { paths: Record<string, Record<string, Operation>> };

const BODY_METHODS = new Set(['post', 'put', 'patch']);

describe('docs/openapi.json covers the route table', () => {
  let t: TestSidecar;
  let doc: OpenApi;

  beforeAll(async () => {
    t = await startTestSidecar();
    doc = JSON.parse(fs.readFileSync(path.join(ROOT, 'docs/openapi.json'), 'utf8')) as OpenApi;
  });
  afterAll(async () => {
    await t.stop();
  });

  const routes = (): Array<{ key: string; method: string; path: string; op: Operation | undefined }> =>
    t.sidecar.http.api.routes
      .filter((r) => !r.alias)
      .map((r) => ({
        key: `${r.method.toUpperCase()} ${r.path}`,
        method: r.method,
        path: r.path,
        op: doc.paths[toOpenApiPath(r.path)]?.[r.method],
      }));

  it('has an operation for every route', () => {
    expect(routes().length).toBeGreaterThan(30);
    expect(
      routes()
        .filter((r) => !r.op)
        .map((r) => r.key)
    ).toEqual([]);
  });

  it('declares every path parameter of every route, with a schema', () => {
    const problems: string[] = [];
    for (const r of routes()) {
      const names = [...r.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]!);
      const declared = (r.op?.parameters ?? []).filter((p) => p.in === 'path');
      for (const n of names) {
        const p = declared.find((d) => d.name === n);
        if (!p?.schema || !p.required) problems.push(`${r.key}: path parameter ${n}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('has a JSON request body schema for every route that takes a body', () => {
    const missing = routes()
      .filter((r) => BODY_METHODS.has(r.method))
      .filter((r) => !r.op?.requestBody?.content?.['application/json']?.schema)
      .map((r) => r.key);
    expect(missing).toEqual([]);
  });

  it('has a schema for every success response of every route', () => {
    const problems: string[] = [];
    for (const r of routes()) {
      const ok = Object.entries(r.op?.responses ?? {}).filter(([status]) => /^2\d\d$/.test(status));
      if (ok.length === 0) problems.push(`${r.key}: no 2xx response`);
      for (const [status, res] of ok) {
        const content = Object.entries(res.content ?? {});
        if (content.length === 0 || content.some(([, c]) => !c.schema)) problems.push(`${r.key}: ${status} schema`);
      }
    }
    expect(problems).toEqual([]);
  });
});
