import type { PolicyDocument } from './policy-document';

/** One field of a named entry that differs: its key, the running value and the candidate's. */
export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** How one list of named entries (rules, policies) or one map (playbooks, signals) changes. */
export interface EntriesDiff {
  added: { name: string; to: unknown }[];
  removed: { name: string; from: unknown }[];
  changed: { name: string; fields: FieldChange[] }[];
  unchanged: number;
}

export interface PolicyDiff {
  rules: EntriesDiff;
  playbooks: EntriesDiff;
  scheduler_policies: EntriesDiff;
  signals: EntriesDiff;
  description: FieldChange | null;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function fieldsOf(a: unknown, b: unknown): FieldChange[] {
  if (
    typeof a !== 'object' ||
    typeof b !== 'object' ||
    a === null ||
    b === null ||
    Array.isArray(a) ||
    Array.isArray(b)
  ) {
    return same(a, b) ? [] : [{ field: '(value)', from: a, to: b }];
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort();
  return keys.filter((k) => !same(ra[k], rb[k])).map((k) => ({ field: k, from: ra[k] ?? null, to: rb[k] ?? null }));
}

function diffEntries(a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): EntriesDiff {
  const out: EntriesDiff = { added: [], removed: [], changed: [], unchanged: 0 };
  for (const [name, from] of a) {
    if (!b.has(name)) out.removed.push({ name, from });
    else {
      const fields = fieldsOf(from, b.get(name));
      if (fields.length) out.changed.push({ name, fields });
      else out.unchanged++;
    }
  }
  for (const [name, to] of b) if (!a.has(name)) out.added.push({ name, to });
  return out;
}

const byName = <T extends { name: string }>(list: readonly T[]): Map<string, unknown> =>
  new Map(list.map((x) => [x.name, x]));
const byKey = (rec: Record<string, unknown> | undefined): Map<string, unknown> => new Map(Object.entries(rec ?? {}));

/** What a candidate policy changes against the running one, entry by entry and field by field. */
export function diffPolicies(running: PolicyDocument, candidate: PolicyDocument): PolicyDiff {
  return {
    rules: diffEntries(byName(running.guardian.rules), byName(candidate.guardian.rules)),
    playbooks: diffEntries(byKey(running.guardian.playbooks), byKey(candidate.guardian.playbooks)),
    scheduler_policies: diffEntries(byName(running.scheduler.policies), byName(candidate.scheduler.policies)),
    signals: diffEntries(byKey(running.signals), byKey(candidate.signals)),
    description: same(running.description, candidate.description)
      ? null
      : { field: 'description', from: running.description ?? null, to: candidate.description ?? null },
  };
}

/** Whether a diff changes anything. */
export function diffIsEmpty(d: PolicyDiff): boolean {
  return (
    [d.rules, d.playbooks, d.scheduler_policies, d.signals].every(
      (e) => !e.added.length && !e.removed.length && !e.changed.length
    ) && d.description === null
  );
}
