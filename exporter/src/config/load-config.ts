import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { type Config, type ConfigInput, configSchema } from './config-schema';

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly problems: string[],
    options?: { cause?: unknown }
  ) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`, options);
  }
}

export interface ConfigKey {
  /** Dotted path, e.g. `watch.root`. */
  path: string;
  env: string;
  type: 'string' | 'number' | 'boolean' | 'enum' | 'json';
  description: string;
  default: unknown;
}

type AnySchema = z.ZodType;

function unwrap(s: AnySchema): { inner: AnySchema; def: unknown; description: string | undefined } {
  let cur: AnySchema = s;
  let def: unknown = undefined;
  const description = s.description;
  for (;;) {
    if (cur instanceof z.ZodDefault || cur instanceof z.ZodPrefault) {
      const dv = (cur as z.ZodDefault<AnySchema>).def.defaultValue;
      def = typeof dv === 'function' ? (dv as () => unknown)() : dv;
      cur = (cur as z.ZodDefault<AnySchema>).def.innerType as AnySchema;
    } else if (cur instanceof z.ZodOptional) {
      cur = cur.def.innerType as AnySchema;
    } else break;
  }
  return { inner: cur, def, description: description ?? cur.description };
}

export function envNameFor(keyPath: string): string {
  return 'LOOKOUT_' + keyPath.replace(/\./g, '_').toUpperCase();
}

/** Every leaf key of the schema with its env name, type, doc and default. */
export function listConfigKeys(schema: AnySchema = configSchema, prefix = ''): ConfigKey[] {
  const { inner } = unwrap(schema);
  if (!(inner instanceof z.ZodObject)) return [];
  const out: ConfigKey[] = [];
  for (const [key, child] of Object.entries(inner.shape as Record<string, AnySchema>)) {
    const p = prefix ? `${prefix}.${key}` : key;
    const u = unwrap(child);
    if (u.inner instanceof z.ZodObject) {
      out.push(...listConfigKeys(child, p));
      continue;
    }
    const type: ConfigKey['type'] =
      u.inner instanceof z.ZodNumber
        ? 'number'
        : u.inner instanceof z.ZodBoolean
          ? 'boolean'
          : u.inner instanceof z.ZodEnum
            ? 'enum'
            : u.inner instanceof z.ZodString
              ? 'string'
              : 'json';
    out.push({ path: p, env: envNameFor(p), type, description: u.description ?? '', default: u.def });
  }
  return out;
}

function parseTokensEnv(raw: string): unknown {
  if (raw.trim().startsWith('[')) return JSON.parse(raw);
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const [name, role, ...rest] = entry.split(':');
      return { name, role, secret: rest.join(':') };
    });
}

function coerceEnv(key: ConfigKey, raw: string): unknown {
  switch (key.type) {
    case 'number': {
      const n = Number(raw);
      return raw.trim() === '' || Number.isNaN(n) ? raw : n;
    }
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(raw)) return true;
      if (/^(false|0|no|off)$/i.test(raw)) return false;
      return raw;
    case 'json':
      if (key.path === 'tokens') return parseTokensEnv(raw);
      return JSON.parse(raw);
    default:
      return raw;
  }
}

function setPath(obj: Record<string, unknown>, keyPath: string, value: unknown): void {
  const parts = keyPath.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

export interface LoadConfigOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Applied last (tests). */
  overrides?: ConfigInput;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`${file}: cannot read (${(err as Error).message})`], { cause: err });
  }
  try {
    const parsed: unknown = /\.ya?ml$/i.test(file) ? YAML.parse(text) : JSON.parse(text);
    if (parsed === null || parsed === undefined) return {};
    if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('top level must be an object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(
      [`${file}: not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(err as Error).message}`],
      {
        cause: err,
      }
    );
  }
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)) {
      out[k] = deepMerge(b as Record<string, unknown>, v as Record<string, unknown>);
    } else if (v !== undefined) {
      out[k] = v;
    }
  }
  return out;
}

/**
 * Keys that were removed for a reason an operator must hear about: silently dropping them would
 * leave a config that reads as if it still did something.
 */
const REMOVED_KEYS: Record<string, string> = {
  'http.user_header':
    'was removed: the sidecar no longer trusts a user header; give Grafana a token with role grafana, ' +
    'and the person comes from X-Grafana-Context (docs/security.md)',
};

function removedKeyProblems(raw: Record<string, unknown>, env: NodeJS.ProcessEnv, file?: string): string[] {
  const problems: string[] = [];
  for (const [keyPath, why] of Object.entries(REMOVED_KEYS)) {
    let cur: unknown = raw;
    for (const part of keyPath.split('.')) {
      cur = cur && typeof cur === 'object' && !Array.isArray(cur) ? (cur as Record<string, unknown>)[part] : undefined;
    }
    if (cur !== undefined) problems.push(`${keyPath} ${why}${file ? ` (in ${file})` : ''}`);
    if (env[envNameFor(keyPath)] !== undefined) problems.push(`${envNameFor(keyPath)}: ${keyPath} ${why}`);
  }
  return problems;
}

/** File, then `LOOKOUT_*` env, then overrides; validated by the one schema. Throws ConfigError. */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  let raw: Record<string, unknown> = opts.file ? readConfigFile(opts.file) : {};
  const problems: string[] = removedKeyProblems(raw, env, opts.file);
  const envOverrides: Record<string, unknown> = {};
  const envOf = new Map<string, string>();
  for (const key of listConfigKeys()) {
    const v = env[key.env];
    if (v === undefined) continue;
    envOf.set(key.path, key.env);
    try {
      setPath(envOverrides, key.path, coerceEnv(key, v));
    } catch (err) {
      problems.push(`${key.env}: ${(err as Error).message}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  raw = deepMerge(raw, envOverrides);
  if (opts.overrides) raw = deepMerge(raw, opts.overrides as Record<string, unknown>);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const p = issue.path.join('.');
      const top = issue.path.filter((x) => typeof x === 'string').join('.');
      const from = envOf.get(top) ? ` (from ${envOf.get(top)})` : opts.file ? ` (in ${opts.file})` : '';
      problems.push(`${p || '(root)'}: ${issue.message}${from}`);
    }
    throw new ConfigError(problems);
  }
  const config = result.data;
  config.data_dir = path.resolve(config.data_dir);
  config.watch.root = path.resolve(config.watch.root);
  return config;
}
