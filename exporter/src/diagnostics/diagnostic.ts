import { z } from 'zod';

/** Lifecycle of a diagnostic. `reopen` is the only way out of `closed` (docs/diagnostics.md). */
export const DIAGNOSTIC_STATUSES = ['open', 'in_progress', 'resolved', 'closed'] as const;
export type DiagnosticStatus = (typeof DIAGNOSTIC_STATUSES)[number];
export const diagnosticStatusSchema = z.enum(DIAGNOSTIC_STATUSES);

/** Same words as event and incident severities, so an incident's severity carries over unchanged. */
export const DIAGNOSTIC_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type DiagnosticSeverity = (typeof DIAGNOSTIC_SEVERITIES)[number];
export const diagnosticSeveritySchema = z.enum(DIAGNOSTIC_SEVERITIES);

/** Statuses that still need work: counted as open, checked for due dates, joined by new incidents. */
export const ACTIVE_STATUSES: readonly DiagnosticStatus[] = ['open', 'in_progress'];

/** Allowed `POST /:id/transition` moves. `closed` has none: only `POST /:id/reopen` leaves it. */
export const TRANSITIONS: Readonly<Record<DiagnosticStatus, readonly DiagnosticStatus[]>> = {
  open: ['in_progress', 'resolved', 'closed'],
  in_progress: ['open', 'resolved', 'closed'],
  resolved: ['in_progress', 'closed'],
  closed: [],
};

/** Where reopen may start from, and where it lands. */
export const REOPENABLE: readonly DiagnosticStatus[] = ['resolved', 'closed'];
export const REOPEN_TO: DiagnosticStatus = 'in_progress';

export function allowedTransitions(from: DiagnosticStatus): readonly DiagnosticStatus[] {
  return TRANSITIONS[from];
}

export function severityRankOf(s: DiagnosticSeverity): number {
  return DIAGNOSTIC_SEVERITIES.indexOf(s);
}

export function severityOfRank(rank: number): DiagnosticSeverity {
  return DIAGNOSTIC_SEVERITIES[rank] ?? 'info';
}

/** Incident severities may include `debug` (event severities); a diagnostic starts at `info`. */
export function severityFromIncident(s: unknown): DiagnosticSeverity {
  const parsed = diagnosticSeveritySchema.safeParse(s);
  return parsed.success ? parsed.data : 'info';
}

/** Public ids read `D-42`; the number alone is accepted on input. */
export const DIAGNOSTIC_ID_PREFIX = 'D-';
export const formatDiagnosticId = (n: number): string => `${DIAGNOSTIC_ID_PREFIX}${n}`;

export const diagnosticIdSchema = z
  .string()
  .regex(/^(?:D-)?[1-9][0-9]{0,14}$/, 'a diagnostic id such as D-42')
  .transform((s) => Number(s.startsWith(DIAGNOSTIC_ID_PREFIX) ? s.slice(DIAGNOSTIC_ID_PREFIX.length) : s));

export const tagSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/, 'letters, digits and _ . : / - (starting with a letter or digit)');

export const tagsSchema = z
  .array(tagSchema)
  .max(20)
  .transform((tags) => [...new Set(tags)].sort());

export const assigneeSchema = z.string().trim().min(1).max(200);
export const componentSchema = z.string().trim().min(1).max(200);
export const roadmapUrlSchema = z
  .string()
  .max(2000)
  .regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL');

export const dueAtSchema = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .transform((v) => new Date(v).toISOString())
  .describe('ISO-8601 time (a date alone means 00:00 UTC)');

/** The stored diagnostic as the domain sees it (plain object). */
export interface Diagnostic {
  id: number;
  title: string;
  description: string;
  severity: DiagnosticSeverity;
  status: DiagnosticStatus;
  assignee: string | null;
  due_at: string | null;
  tags: string[];
  component: string | null;
  roadmap_url: string | null;
  origin: 'api' | 'guardian';
  rule: string | null;
  node: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  resolved_at: string | null;
  closed_at: string | null;
  due_soon_notified_at: string | null;
  overdue_notified_at: string | null;
}

export interface DiagnosticComment {
  id: number;
  diagnostic_id: number;
  ts: string;
  author: string;
  body: string;
  kind: 'user' | 'system';
}

export interface FieldChange {
  from: unknown;
  to: unknown;
}

export interface HistoryEntry {
  seq: number;
  diagnostic_id: number;
  ts: string;
  actor: string;
  action: string;
  changes: Record<string, FieldChange>;
  note: string | null;
}

export interface IncidentLink {
  incident_id: string;
  diagnostic_id: number;
  rule: string;
  node: string;
  severity: string;
  title: string;
  linked_at: string;
  resolved_at: string | null;
  resolved_by: string | null;
  resolution_note: string | null;
}

/** Fields a person may set when creating a diagnostic. */
export interface DiagnosticDraft {
  title: string;
  description?: string;
  severity: DiagnosticSeverity;
  assignee?: string | null;
  due_at?: string | null;
  tags?: string[];
  component?: string | null;
  roadmap_url?: string | null;
}

/** Fields PATCH may change (status moves only through transition/reopen). */
export type DiagnosticPatch = Partial<Omit<DiagnosticDraft, 'severity' | 'title'>> & {
  title?: string;
  severity?: DiagnosticSeverity;
};

export const SORT_FIELDS = ['created_at', 'updated_at', 'due_at', 'severity'] as const;
export type SortField = (typeof SORT_FIELDS)[number];
export type SortOrder = 'asc' | 'desc';

/** Kinds of notification: event kind `diagnostic.<kind>`, NATS `lookout.diagnostics.<node>.<kind>`. */
export const NOTIFICATION_KINDS = ['assigned', 'due_soon', 'overdue'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
