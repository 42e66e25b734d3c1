import crypto from 'node:crypto';
import YAML from 'yaml';
import { guardianProblems } from '../guardian/guardian-config';
import type { GuardianRule, PlaybookStep } from '../guardian/guardian-config';
import { schedulerProblems } from '../scheduler/scheduler-config';
import { type PolicyDocument, policyDocumentSchema } from './policy-document';

/** One thing wrong with a policy, at its path in the document (`guardian.rules.2.op`, `(file)`). */
export interface PolicyProblem {
  path: string;
  message: string;
  code: string;
}

/** A policy that passed validation, with what it reads and what it warns about. */
export interface ValidPolicy {
  /** Content hash of the text (sha256, 16 hex digits): the version a reload reports. */
  version: string;
  document: PolicyDocument;
  warnings: PolicyProblem[];
}

export type PolicyValidation =
  { ok: true; policy: ValidPolicy } | { ok: false; version: string; problems: PolicyProblem[] };

export interface ValidationContext {
  /** Largest accepted policy text in bytes (policy.max_bytes). */
  maxBytes: number;
  /** Actions a playbook or policy may run (built-in and custom). */
  actions: readonly string[];
  /** Telemetry names and their label names the workload has reported so far. */
  reported: () => ReadonlyMap<string, ReadonlySet<string>>;
}

/** At most this many problems are listed; the last entry says how many more there were. */
const MAX_PROBLEMS = 200;

export function tooLargeProblem(size: number, maxBytes: number): PolicyProblem {
  return {
    path: '(file)',
    message: `the policy is ${size} bytes; the limit is ${maxBytes} (policy.max_bytes)`,
    code: 'too_large',
  };
}

export const policyVersionOf = (text: string | Buffer): string =>
  crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);

const utf8 = new TextDecoder('utf-8', { fatal: true });

function closest(word: string, candidates: Iterable<string>): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== null && bestD <= Math.max(2, Math.floor(word.length / 4)) ? best : null;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** ` (did you mean x?)` for the closest candidate within a few edits, else ''. */
export const didYouMean = (word: string, candidates: Iterable<string>): string => {
  const c = closest(word, candidates);
  return c ? ` (did you mean ${c}?)` : '';
};

function cap(problems: PolicyProblem[]): PolicyProblem[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  return [
    ...problems.slice(0, MAX_PROBLEMS),
    { path: '(policy)', message: `${problems.length - MAX_PROBLEMS} more problems not listed`, code: 'truncated' },
  ];
}

/** The signals a policy reads: rule and drift-policy metrics, with the labels its matchers name. */
function signalsRead(doc: PolicyDocument): { path: string; signal: string; labels: string[] }[] {
  const out: { path: string; signal: string; labels: string[] }[] = [];
  doc.guardian.rules.forEach((r, i) => {
    if (r.type === 'threshold') {
      out.push({ path: `guardian.rules.${i}.metric`, signal: r.metric, labels: Object.keys(r.match ?? {}) });
    }
  });
  doc.scheduler.policies.forEach((p, i) => {
    if (p.type === 'drift') out.push({ path: `scheduler.policies.${i}.metric`, signal: p.metric, labels: [] });
  });
  return out;
}

function actionSteps(rule: GuardianRule | { playbook: PlaybookStep[] }): { step: number; action: string }[] {
  return rule.playbook.flatMap((s, j) => (s.do === 'action' ? [{ step: j, action: s.action }] : []));
}

/**
 * Checks a document beyond its shape: duplicate names, playbook references and cycles, regexes,
 * actions, and the signals it reads. Declared `signals` make an undeclared one an error; without them
 * a signal the workload has not reported yet is a warning (it may simply not have started).
 */
export function checkDocument(
  doc: PolicyDocument,
  ctx: ValidationContext
): { errors: PolicyProblem[]; warnings: PolicyProblem[] } {
  const errors: PolicyProblem[] = [];
  const warnings: PolicyProblem[] = [];
  for (const p of guardianProblems(doc.guardian.rules, doc.guardian.playbooks)) {
    errors.push({ path: ['guardian', ...p.path].join('.'), message: p.message, code: 'custom' });
  }
  for (const p of schedulerProblems(doc.scheduler.policies)) {
    errors.push({ path: ['scheduler', 'policies', ...p.path].join('.'), message: p.message, code: 'custom' });
  }
  const actions = new Set(ctx.actions);
  const unknownAction = (path: string, action: string): void => {
    if (!actions.has(action)) {
      errors.push({ path, message: `unknown action ${action}${didYouMean(action, actions)}`, code: 'unknown_action' });
    }
  };
  doc.guardian.rules.forEach((r, i) => {
    for (const a of actionSteps(r)) unknownAction(`guardian.rules.${i}.playbook.${a.step}.action`, a.action);
  });
  for (const [name, steps] of Object.entries(doc.guardian.playbooks)) {
    for (const a of actionSteps({ playbook: steps }))
      unknownAction(`guardian.playbooks.${name}.${a.step}.action`, a.action);
  }
  doc.scheduler.policies.forEach((p, i) => unknownAction(`scheduler.policies.${i}.action`, p.action));

  const reported = ctx.reported();
  const declared = doc.signals;
  for (const read of signalsRead(doc)) {
    if (declared) {
      const sig = declared[read.signal];
      if (!sig) {
        errors.push({
          path: read.path,
          message: `unknown signal ${read.signal}: not declared under signals${didYouMean(read.signal, Object.keys(declared))}`,
          code: 'unknown_signal',
        });
        continue;
      }
      for (const l of read.labels) {
        if (!sig.labels.includes(l)) {
          errors.push({
            path: read.path.replace(/\.metric$/, `.match.${l}`),
            message: `signal ${read.signal} has no label ${l} (declared: ${sig.labels.join(', ') || 'none'})${didYouMean(l, sig.labels)}`,
            code: 'unknown_label',
          });
        }
      }
    } else if (!reported.has(read.signal)) {
      warnings.push({
        path: read.path,
        message: `signal ${read.signal} has not been reported by the workload yet${didYouMean(read.signal, reported.keys())}`,
        code: 'unreported_signal',
      });
    }
  }
  for (const name of Object.keys(declared ?? {})) {
    if (!reported.has(name)) {
      warnings.push({
        path: `signals.${name}`,
        message: `signal ${name} is declared but the workload has not reported it yet`,
        code: 'unreported_signal',
      });
    }
  }
  return { errors, warnings };
}

/** Duplicate rule and policy names in a document that did not pass the schema (best effort on the raw data). */
function duplicateNames(raw: Record<string, unknown>): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  const lists: [string, unknown][] = [
    ['guardian.rules', (raw['guardian'] as Record<string, unknown> | undefined)?.['rules']],
    ['scheduler.policies', (raw['scheduler'] as Record<string, unknown> | undefined)?.['policies']],
  ];
  for (const [where, list] of lists) {
    if (!Array.isArray(list)) continue;
    const seen = new Set<string>();
    list.forEach((item, i) => {
      const name = (item as { name?: unknown } | null)?.name;
      if (typeof name !== 'string') return;
      if (seen.has(name)) {
        const what = where === 'guardian.rules' ? 'rule' : 'policy';
        out.push({ path: `${where}.${i}.name`, message: `duplicate ${what} name ${name}`, code: 'custom' });
      }
      seen.add(name);
    });
  }
  return out;
}

/**
 * Validates a policy text (YAML or JSON; JSON is read as YAML 1.2, which it is): size, encoding,
 * syntax (every YAML error with its line), schema (every zod issue with its path), then the checks
 * above. Never throws; every problem found is listed.
 */
export function validatePolicyText(input: string | Buffer, ctx: ValidationContext): PolicyValidation {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const version = policyVersionOf(bytes);
  const fail = (problems: PolicyProblem[]): PolicyValidation => ({ ok: false, version, problems: cap(problems) });
  if (bytes.length > ctx.maxBytes) return fail([tooLargeProblem(bytes.length, ctx.maxBytes)]);
  if (bytes.subarray(0, 8192).includes(0)) {
    return fail([{ path: '(file)', message: 'binary content where YAML or JSON was expected', code: 'binary' }]);
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return fail([{ path: '(file)', message: 'the policy is not valid UTF-8', code: 'encoding' }]);
  }
  if (!text.trim()) return fail([{ path: '(file)', message: 'the policy is empty', code: 'empty' }]);
  const parsed = YAML.parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const docs = Array.isArray(parsed) ? parsed : [parsed];
  const syntax: PolicyProblem[] = [];
  for (const d of docs) {
    for (const e of d.errors) {
      const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '(file)';
      syntax.push({ path: where, message: e.message.split('\n')[0]!, code: 'syntax' });
    }
  }
  if (docs.length > 1) syntax.push({ path: '(file)', message: 'the policy must be one YAML document', code: 'syntax' });
  if (syntax.length) return fail(syntax);
  let raw: unknown;
  try {
    raw = docs[0]!.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return fail([{ path: '(file)', message: (err as Error).message, code: 'syntax' }]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return fail([
      {
        path: '(root)',
        message: 'the policy must be a mapping (guardian:, scheduler:, signals:)',
        code: 'invalid_type',
      },
    ]);
  }
  const r = policyDocumentSchema.safeParse(raw);
  if (!r.success) {
    return fail([
      ...r.error.issues.flatMap((i): PolicyProblem[] => {
        const at = i.path.map(String);
        // One problem per misspelt key, at the key itself.
        if (i.code === 'unrecognized_keys') {
          return i.keys.map((k) => ({ path: [...at, k].join('.'), message: `unknown key ${k}`, code: i.code }));
        }
        return [{ path: at.join('.') || '(root)', message: i.message, code: i.code }];
      }),
      // Problems between entries are listed too, not only after every entry is well formed.
      ...duplicateNames(raw as Record<string, unknown>),
    ]);
  }
  const { errors, warnings } = checkDocument(r.data, ctx);
  if (errors.length) return fail(errors);
  return { ok: true, policy: { version, document: r.data, warnings } };
}
