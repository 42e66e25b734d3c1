import path from 'node:path';
import { z } from 'zod';
import type { Severity } from '../../events/event';
import { GlobSet } from '../glob-matcher';
import { type FileContent, decodeJson, isPlainObject, issuesOf, sha256Hex } from './classifier';

export interface ActivityRule {
  glob: string;
  class: string;
  subject?: string | undefined;
}

/** The first matching rule gives a file its class; no match is class `other`. */
export class ActivityRules {
  private readonly compiled: { set: GlobSet; class: string; subject: string | undefined }[];

  constructor(rules: readonly ActivityRule[]) {
    this.compiled = rules.map((r) => ({ set: new GlobSet([r.glob]), class: r.class, subject: r.subject }));
  }

  classOf(relPath: string): { class: string; subject: string | undefined } {
    for (const r of this.compiled) if (r.set.matches(relPath)) return { class: r.class, subject: r.subject };
    return { class: 'other', subject: undefined };
  }
}

/** The classic activity publisher's payloads (ARCHITECTURE §3); unknown fields are tolerated, not forwarded. */
const taskSchema = z.looseObject({
  id: z.union([z.string(), z.number()]),
  type: z.enum(['analyze', 'refactor', 'document', 'test', 'process']),
  status: z.string(),
  result: z.unknown().optional(),
});
const llmSchema = z.looseObject({
  model: z.string().min(1).optional(),
  prompt: z.unknown(),
  response: z.unknown(),
});
const propagationSchema = z.looseObject({
  subsystem: z.string(),
  pattern: z.string(),
  status: z.string(),
});

const CLASS_FIELDS: Record<string, { schema: z.ZodType; fields: readonly string[] }> = {
  tasks: { schema: taskSchema, fields: ['id', 'type', 'status', 'result'] },
  llm: { schema: llmSchema, fields: ['model', 'prompt', 'response'] },
  propagation: { schema: propagationSchema, fields: ['subsystem', 'pattern', 'status'] },
};

/** Events are stored, streamed and published: long prompts and results are cut, not carried whole. */
const MAX_STRING_CHARS = 8192;
const MAX_OTHER_PAYLOAD_BYTES = 64 * 1024;

const KNOWN_MODEL_FAMILIES =
  /^(gpt|o1|o3|o4|claude|llama|mistral|mixtral|gemini|gemma|qwen|phi|deepseek|command|grok)/i;

/**
 * The model an LLM log is about, from its file name when the content does not say:
 * `gpt-4o_2024-06-01T10.json` → `gpt-4o`. Segments are split on `_` and spaces; the first one that
 * starts with a known model family wins, else `unknown`.
 */
export function modelFromFileName(relPath: string): string {
  const base = path.posix.basename(relPath).replace(/(\.[A-Za-z0-9]+)+$/, '');
  for (const seg of base.split(/[_\s]+/)) if (KNOWN_MODEL_FAMILIES.test(seg)) return seg.toLowerCase();
  return 'unknown';
}

function bound(v: unknown): unknown {
  if (typeof v === 'string' && v.length > MAX_STRING_CHARS)
    return `${v.slice(0, MAX_STRING_CHARS)}…[truncated ${v.length - MAX_STRING_CHARS} chars]`;
  if (v !== null && typeof v === 'object' && JSON.stringify(v).length > MAX_OTHER_PAYLOAD_BYTES)
    return '[truncated: value too large]';
  return v;
}

const TRACE_ID = /^[A-Za-z0-9_-]{1,128}$/;

export interface ActivityRecord {
  kind: string;
  severity: Severity;
  data: Record<string, unknown>;
  /** The file's own trace id when it carries a usable one. */
  traceId: string | undefined;
  /** Set when the content is JSON but does not fit its class's payload shape. */
  schemaIssues: { path: string; message: string }[] | undefined;
}

/**
 * Any change under activity/ becomes one event: `activity.<class>` for a JSON object, or
 * `file.changed` (size and hash only) for anything else. Never fails: activity is a feed, and a
 * file it cannot interpret is still activity.
 */
export function classifyActivity(file: FileContent, rules: ActivityRules): ActivityRecord {
  const { class: cls, subject } = rules.classOf(file.relPath);
  const base = { file_path: file.relPath, class: cls, ...(subject ? { nats_subject: subject } : {}) };
  const decoded = decodeJson(file.bytes);
  if (!decoded.ok || !isPlainObject(decoded.value)) {
    return {
      kind: 'file.changed',
      severity: 'info',
      data: {
        ...base,
        size: file.size,
        sha256: sha256Hex(file.bytes),
        timestamp: new Date(file.mtimeMs).toISOString(),
      },
      traceId: undefined,
      schemaIssues: undefined,
    };
  }
  const doc = decoded.value;
  const timestamp =
    typeof doc['timestamp'] === 'string'
      ? doc['timestamp']
      : typeof doc['ts'] === 'string'
        ? doc['ts']
        : new Date(file.mtimeMs).toISOString();
  const traceId = typeof doc['trace_id'] === 'string' && TRACE_ID.test(doc['trace_id']) ? doc['trace_id'] : undefined;
  const shape = CLASS_FIELDS[cls];
  let payload: Record<string, unknown>;
  let schemaIssues: ActivityRecord['schemaIssues'];
  if (shape) {
    const parsed = shape.schema.safeParse(doc);
    if (!parsed.success) schemaIssues = issuesOf(parsed.error);
    payload = {};
    for (const f of shape.fields) if (doc[f] !== undefined) payload[f] = bound(doc[f]);
    if (cls === 'llm' && typeof payload['model'] !== 'string') payload['model'] = modelFromFileName(file.relPath);
  } else {
    payload =
      file.size <= MAX_OTHER_PAYLOAD_BYTES ? { ...doc } : { keys: Object.keys(doc).slice(0, 100), truncated: true };
  }
  return {
    kind: `activity.${cls}`,
    severity: schemaIssues ? 'warning' : 'info',
    data: { ...payload, ...base, timestamp, ...(schemaIssues ? { schema_issues: schemaIssues } : {}) },
    traceId,
    schemaIssues,
  };
}
