import type {
  Diagnostic,
  DiagnosticHistoryEntry,
  DiagnosticListQuery,
  DiagnosticPatch,
  DiagnosticSeverity,
  DiagnosticSortField,
  DiagnosticStatus,
  FieldProblem,
  InvalidTransitionDetails,
  SortOrder,
} from '../api';
import { formatDuration } from './format';

export const STATUS_LABELS: Record<DiagnosticStatus, string> = {
  open: 'Open',
  in_progress: 'In progress',
  resolved: 'Resolved',
  closed: 'Closed',
};

/** What the button that moves a diagnostic to a status says. */
export const TRANSITION_LABELS: Record<DiagnosticStatus, string> = {
  open: 'Back to open',
  in_progress: 'Start progress',
  resolved: 'Resolve',
  closed: 'Close diagnostic',
};

export function statusLabel(s: string): string {
  return STATUS_LABELS[s as DiagnosticStatus] ?? s;
}

export type BadgeColor = 'blue' | 'orange' | 'red' | 'green' | 'purple' | 'darkgrey';

export function statusColor(s: string): BadgeColor {
  switch (s) {
    case 'open':
      return 'blue';
    case 'in_progress':
      return 'purple';
    case 'resolved':
      return 'green';
    default:
      return 'darkgrey';
  }
}

export function severityBadgeColor(s: string): BadgeColor {
  return s === 'critical' ? 'red' : s === 'warning' ? 'orange' : 'blue';
}

/** Status filter choices: "active" (open or in progress) is what a tracker shows first. */
export const STATUS_FILTERS = [
  { label: 'Active', value: 'open,in_progress' },
  { label: 'Open', value: 'open' },
  { label: 'In progress', value: 'in_progress' },
  { label: 'Resolved', value: 'resolved' },
  { label: 'Closed', value: 'closed' },
  { label: 'All', value: '' },
];

export const SEVERITY_FILTERS: Array<{ label: string; value: DiagnosticSeverity | '' }> = [
  { label: 'Any severity', value: '' },
  { label: 'Critical', value: 'critical' },
  { label: 'Warning', value: 'warning' },
  { label: 'Info', value: 'info' },
];

export const SORT_OPTIONS: Array<{ label: string; value: DiagnosticSortField }> = [
  { label: 'Created', value: 'created_at' },
  { label: 'Updated', value: 'updated_at' },
  { label: 'Due', value: 'due_at' },
  { label: 'Severity', value: 'severity' },
];

/** What the filter bar holds; text fields are committed after the debounce. */
export interface DiagnosticFilterState {
  status: string;
  severity: DiagnosticSeverity | '';
  assignee: string;
  unassigned: boolean;
  tag: string;
  overdue: boolean;
  q: string;
  sort: DiagnosticSortField;
  order: SortOrder;
}

export const DEFAULT_FILTERS: DiagnosticFilterState = {
  status: 'open,in_progress',
  severity: '',
  assignee: '',
  unassigned: false,
  tag: '',
  overdue: false,
  q: '',
  sort: 'created_at',
  order: 'desc',
};

/** Comma list of trimmed, non-empty words (`"a, b,,"` → `"a,b"`), or undefined when there are none. */
export function csv(text: string): string | undefined {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return parts.length ? parts.join(',') : undefined;
}

/** The list request for a filter state: empty filters are left out rather than sent blank. */
export function toListQuery(f: DiagnosticFilterState, cursor?: string | null, limit = 50): DiagnosticListQuery {
  return {
    status: f.status || undefined,
    severity: f.severity || undefined,
    assignee: csv(f.assignee),
    unassigned: f.unassigned ? 'true' : undefined,
    tag: csv(f.tag),
    overdue: f.overdue ? 'true' : undefined,
    q: f.q.trim() || undefined,
    sort: f.sort,
    order: f.order,
    cursor: cursor ?? undefined,
    limit,
  };
}

/**
 * A 400's `details` as messages per form field: `body.title` → `title`, `body.tags.2` → `tags` (messages of one field
 * are joined). Problems that name no body field come back under `''`.
 */
export function fieldErrorsOf(details: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(details)) {
    return out;
  }
  for (const d of details as FieldProblem[]) {
    if (!d || typeof d.message !== 'string') {
      continue;
    }
    const parts = typeof d.path === 'string' ? d.path.split('.') : [];
    const field = parts[0] === 'body' && parts[1] ? parts[1] : '';
    out[field] = out[field] ? `${out[field]}; ${d.message}` : d.message;
  }
  return out;
}

export function isInvalidTransition(details: unknown): details is InvalidTransitionDetails {
  return (
    typeof details === 'object' && details !== null && Array.isArray((details as InvalidTransitionDetails).allowed)
  );
}

/** The text a 409 `invalid_transition` shows: what was refused and what is allowed instead. */
export function describeInvalidTransition(d: InvalidTransitionDetails): string {
  const allowed = d.allowed.length ? d.allowed.map(statusLabel).join(', ') : 'none';
  const reopen = d.reopen ? ' It can be reopened.' : '';
  return `${statusLabel(d.from)} → ${statusLabel(d.to)} is not allowed. Allowed from ${statusLabel(d.from)}: ${allowed}.${reopen}`;
}

/** The values the create/edit form edits, as text. */
export interface DiagnosticFormValues {
  title: string;
  description: string;
  severity: DiagnosticSeverity;
  assignee: string;
  due_at: string;
  tags: string[];
  component: string;
  roadmap_url: string;
}

export const EMPTY_FORM: DiagnosticFormValues = {
  title: '',
  description: '',
  severity: 'warning',
  assignee: '',
  due_at: '',
  tags: [],
  component: '',
  roadmap_url: '',
};

export function formValuesOf(d: Diagnostic): DiagnosticFormValues {
  return {
    title: d.title,
    description: d.description,
    severity: d.severity,
    assignee: d.assignee ?? '',
    due_at: d.due_at ?? '',
    tags: [...d.tags],
    component: d.component ?? '',
    roadmap_url: d.roadmap_url ?? '',
  };
}

const NULLABLE = ['assignee', 'due_at', 'component', 'roadmap_url'] as const;

/** The PATCH body that turns `before` into `after`: only changed fields, and an emptied optional field as null. */
export function patchOf(before: DiagnosticFormValues, after: DiagnosticFormValues): DiagnosticPatch {
  const patch: DiagnosticPatch = {};
  if (after.title.trim() !== before.title.trim()) {
    patch.title = after.title.trim();
  }
  if (after.description !== before.description) {
    patch.description = after.description;
  }
  if (after.severity !== before.severity) {
    patch.severity = after.severity;
  }
  for (const k of NULLABLE) {
    const a = after[k].trim();
    if (a !== before[k].trim()) {
      patch[k] = a || null;
    }
  }
  if ([...after.tags].sort().join('\n') !== [...before.tags].sort().join('\n')) {
    patch.tags = after.tags;
  }
  return patch;
}

/** Seconds as "3h 20m", or "—" when the sidecar has no number (too few resolved diagnostics). */
export function formatSeconds(s: number | null | undefined): string {
  return s === null || s === undefined ? '—' : formatDuration(Math.max(0, s));
}

/** A history entry's changes as "field: from → to" lines. */
export function describeChanges(changes: DiagnosticHistoryEntry['changes']): string[] {
  const show = (v: unknown): string =>
    v === null || v === undefined || v === '' ? '∅' : Array.isArray(v) ? v.join(', ') || '∅' : String(v);
  return Object.entries(changes).map(([field, c]) => `${field}: ${show(c.from)} → ${show(c.to)}`);
}
