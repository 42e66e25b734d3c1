import fs from 'node:fs';
import path from 'node:path';
import { startTestSidecar, type TestSidecar } from '../helpers/sidecar';
import { waitFor } from '../helpers/wait';
import { nonCanonicalReason } from '../../src/api/canonical-path';
import { ERROR_CODES } from '../../src/api/errors';
import { createSimulator } from '../../../examples/src';
import { listConfigKeys } from '../../src/config/load-config';

/**
 * Every public name — metric, route, error code, NATS subject — is documented in docs/, and
 * every documented one exists. Set UPDATE_DOCS=1 to rewrite the OpenAPI snapshot.
 */
const ROOT = path.resolve(__dirname, '../../..');
const doc = (name: string): string => fs.readFileSync(path.join(ROOT, 'docs', name), 'utf8');

/** First-column backticked names of the markdown tables in a doc. */
function tableNames(md: string, pattern: RegExp): string[] {
  const out: string[] = [];
  for (const line of md.split('\n')) {
    const m = /^\|\s*`([^`]+)`/.exec(line);
    if (m && pattern.test(m[1]!)) out.push(m[1]!);
  }
  return out;
}

/** Every markdown page a user reads: README.md, docs/, docs/runbooks/, examples/README.md. */
function userDocs(): Array<{ file: string; text: string }> {
  const files = [
    'README.md',
    'examples/README.md',
    ...fs.readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`),
    ...fs.readdirSync(path.join(ROOT, 'docs/runbooks')).map((f) => `docs/runbooks/${f}`),
  ].filter((f) => f.endsWith('.md'));
  return files.map((file) => ({ file, text: fs.readFileSync(path.join(ROOT, file), 'utf8') }));
}

/** Backticked spans of a markdown text. */
/** Grafana's own HTTP API, which the docs name beside the sidecar's. */
const GRAFANA_PATHS = /^\/api\/(plugin-proxy|signing-keys)\//;
const codeSpans = (md: string): string[] => [...md.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);

/** Does a documented path (`/api/v1/incidents/:id/ack`, `.../<id>`, `...?at=T`) fit a route path? */
function fitsRoute(documented: string, route: string): boolean {
  const d = documented.replace(/[?#].*$/, '').split('/');
  const r = route.split('/');
  return d.length === r.length && r.every((seg, i) => seg.startsWith(':') || seg === d[i]);
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('docs match code', () => {
  let t: TestSidecar;

  beforeAll(async () => {
    t = await startTestSidecar();
    // The example workload's snapshot: every workload family metrics.md lists as the example's.
    const sim = createSimulator({ workspace: t.workspace, seed: 2, tickMs: 60_000 });
    sim.tick();
    sim.stop();
    await waitFor(() => t.sidecar.ctx.metrics.registeredNames().includes('lookout_workload_symbol_correlation'));
  });
  afterAll(async () => {
    await t.stop();
  });

  it('lists every metric the sidecar registers, and registers every metric it lists', () => {
    const md = doc('metrics.md');
    const documented = new Set(tableNames(md, /^lookout_/).filter((n) => !n.includes('<')));
    const registered = t.sidecar.ctx.metrics.registeredNames();
    expect(registered.filter((n) => !documented.has(n))).toEqual([]);
    const set = new Set(registered);
    expect([...documented].filter((n) => !set.has(n))).toEqual([]);
  });

  it('lists every route in docs/api.md, and every listed route exists', () => {
    const md = doc('api.md');
    const listed = new Set(tableNames(md, /^(GET|POST|PUT|PATCH|DELETE) \//));
    const routes = t.sidecar.http.api.routes.map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(routes.filter((r) => !listed.has(r))).toEqual([]);
    const have = new Set(routes);
    expect([...listed].filter((r) => !have.has(r))).toEqual([]);
  });

  it('names only routes that exist, anywhere in the docs and the README', () => {
    const routes = t.sidecar.http.api.routes;
    const unknown: string[] = [];
    for (const { file, text } of userDocs()) {
      for (const span of codeSpans(text)) {
        const m =
          /^(?:(GET|POST|PUT|PATCH|DELETE) )?(\/(?:api|healthz|readyz|metrics|status|lineage|artifacts|kill|retrain|canary_promote|flush_guardrails)\S*)$/.exec(
            span
          );
        if (!m) continue;
        // Grafana's own API (its plugin proxy, its ID-token keys) is named too; it is not the sidecar's.
        if (GRAFANA_PATHS.test(m[2]!)) continue;
        // Paths the docs name as refused (`/api/v1/AUDIT`, `/kill/`) must really be refused before routing,
        // or match no route at all (a case variant).
        if (nonCanonicalReason(m[2]!) !== null) continue;
        if (/[A-Z]/.test(m[2]!) && routes.some((r) => fitsRoute(m[2]!.toLowerCase(), r.path))) continue;
        // `/api/v1/incidents/:id/ack|resolve` names two routes.
        const [head, alternatives] = [m[2]!.replace(/[^/]*$/, ''), m[2]!.replace(/^.*\//, '').split('|')];
        for (const last of alternatives) {
          const p = head + last;
          if (!routes.some((r) => (!m[1] || r.method.toUpperCase() === m[1]) && fitsRoute(p, r.path))) {
            unknown.push(`${file}: ${span}`);
          }
        }
      }
    }
    expect(unknown).toEqual([]);
  });

  it('names only config keys and LOOKOUT_ variables that exist, anywhere in the docs and the README', () => {
    const keys = listConfigKeys();
    const paths = keys.map((k) => k.path);
    const envs = new Set(keys.map((k) => k.env));
    const sections = new Set(paths.filter((p) => p.includes('.')).map((p) => p.split('.')[0]!));
    // Variables that are not config keys but exist: read or set by the code, the compose stack or provisioning.
    const elsewhere = [
      ...sourceFiles(path.join(ROOT, 'exporter/src')),
      ...sourceFiles(path.join(ROOT, 'examples/src')),
      path.join(ROOT, 'docker-compose.yml'),
      ...fs
        .readdirSync(path.join(ROOT, 'provisioning'), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.join(e.parentPath, e.name)),
    ]
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('\n');
    const unknown: string[] = [];
    for (const { file, text } of userDocs()) {
      if (file === 'docs/configuration.md') continue; // generated from the schema (config-doc.test.ts)
      for (const v of new Set(text.match(/\bLOOKOUT_[A-Z0-9_]*[A-Z0-9]\b/g) ?? [])) {
        if (!envs.has(v) && !new RegExp(`\\b${v}\\b`).test(elsewhere)) unknown.push(`${file}: ${v}`);
      }
      for (const span of codeSpans(text)) {
        const key = /^([a-z_]+)\.([a-z_.]+)$/.exec(span);
        // A file name (`alertmanager.yml`) is not a key, even when it starts like a config section.
        if (!key || !sections.has(key[1]!) || /\.(ya?ml|json|md|ts|js)$/.test(span)) continue;
        const known =
          paths.some((p) => p === span || p.startsWith(`${span}.`) || span.startsWith(`${p}.`)) ||
          // Not a key but an event kind the code emits (`store.limit_reached`).
          elsewhere.includes(`'${span}'`);
        if (!known) unknown.push(`${file}: ${span}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('lists every error code in docs/errors.md with its status', () => {
    const md = doc('errors.md');
    const rows = new Map<string, number>();
    for (const line of md.split('\n')) {
      const m = /^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|/.exec(line);
      if (m) rows.set(m[1]!, Number(m[2]));
    }
    const code = Object.entries(ERROR_CODES).map(([c, v]) => [c, v.status] as const);
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(code));
  });

  it('lists every NATS subject family the code uses in docs/nats.md', () => {
    const files = [...sourceFiles(path.join(ROOT, 'exporter/src')), ...sourceFiles(path.join(ROOT, 'examples/src'))];
    const used = new Set<string>();
    for (const f of files) {
      for (const m of fs.readFileSync(f, 'utf8').matchAll(/[`'"]lookout\.([a-z_]+)\./g)) used.add(m[1]!);
    }
    const documented = new Set(tableNames(doc('nats.md'), /^lookout\./).map((s) => s.split('.')[1]!));
    expect([...used].filter((s) => !documented.has(s)).sort()).toEqual([]);
    expect([...documented].filter((s) => !used.has(s)).sort()).toEqual([]);
  });

  it('has every image the docs show', () => {
    const docsDir = path.join(ROOT, 'docs');
    const missing: string[] = [];
    for (const f of fs.readdirSync(docsDir).filter((n) => n.endsWith('.md'))) {
      for (const m of doc(f).matchAll(/!\[[^\]]*\]\(([^)]+\.png)\)/g)) {
        if (!fs.existsSync(path.join(docsDir, m[1]!))) missing.push(`${f}: ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('keeps docs/openapi.json equal to the generated document', () => {
    const generated = JSON.stringify(t.sidecar.http.openApiDocument(), null, 2) + '\n';
    const file = path.join(ROOT, 'docs/openapi.json');
    if (process.env['UPDATE_DOCS'] === '1') fs.writeFileSync(file, generated);
    expect(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '(missing: run with UPDATE_DOCS=1)').toBe(generated);
  });

  it('serves the same OpenAPI document on /api/v1/openapi.json', async () => {
    const r = await t.call('GET', '/api/v1/openapi.json', { as: 'viewer' });
    expect(r.status).toBe(200);
    const body = r.body as { openapi: string; paths: Record<string, unknown> };
    expect(body.openapi).toBe('3.1.0');
    expect(Object.keys(body.paths)).toEqual(expect.arrayContaining(['/api/v1/status', '/api/v1/feeds/{feed}']));
  });
});
