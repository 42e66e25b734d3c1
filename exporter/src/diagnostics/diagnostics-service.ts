import { z } from 'zod';
import type { Db } from '../store/database';
import type { EventLog } from '../events/event-log';
import type { EventInput, Severity } from '../events/event';
import type { StoredEvent } from '../store/events-repository';
import type { KvRepository } from '../store/kv-repository';
import type { Logger } from '../log/logger';
import type { Config } from '../config/config-schema';
import { pageRows } from '../api/paging';
import {
  type Diagnostic,
  type DiagnosticDraft,
  type DiagnosticPatch,
  type DiagnosticSeverity,
  type DiagnosticStatus,
  type FieldChange,
  type HistoryEntry,
  type IncidentLink,
  type NotificationKind,
  type SortField,
  type SortOrder,
  ACTIVE_STATUSES,
  REOPENABLE,
  REOPEN_TO,
  allowedTransitions,
  formatDiagnosticId,
  severityFromIncident,
  severityRankOf,
  tagSchema,
} from './diagnostic';
import { type DiagnosticListQuery, type DiagnosticsRepository, type ListPosition } from './diagnostics-repository';
import type { DiagnosticsMetrics } from './diagnostics-metrics';
import type { DiagnosticNotification, DiagnosticsNotifier } from './diagnostics-notifier';
import {
  type ResolutionEstimate,
  type ResolutionStats,
  type WeekCount,
  estimateResolution,
  resolutionBySeverity,
  secondsToResolve,
  weekStart,
  weeklyTrend,
} from './diagnostics-analytics';

export class DiagnosticNotFoundError extends Error {
  override name = 'DiagnosticNotFoundError';
  constructor(readonly id: number) {
    super(`diagnostic ${formatDiagnosticId(id)} not found`);
  }
}

/** A status move the lifecycle does not allow; carries what is allowed from the current status. */
export class InvalidTransitionError extends Error {
  override name = 'InvalidTransitionError';
  constructor(
    readonly from: DiagnosticStatus,
    readonly to: DiagnosticStatus | 'reopen',
    readonly allowed: readonly DiagnosticStatus[],
    readonly reopenable: boolean
  ) {
    super(
      `cannot move a diagnostic from ${from} to ${to}; allowed: ${allowed.length ? allowed.join(', ') : 'none'}` +
        (reopenable ? ' (or reopen)' : '')
    );
  }
}

/** A list cursor that does not belong to this sort (or is not a cursor at all). */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

/** Fields whose changes the history records, in the order it records them. */
const TRACKED_FIELDS = [
  'title',
  'description',
  'severity',
  'status',
  'assignee',
  'due_at',
  'tags',
  'component',
  'roadmap_url',
] as const;
type TrackedField = (typeof TRACKED_FIELDS)[number];
/** Fields a patch may change: the status moves only through transitions. */
const EDITABLE_FIELDS = TRACKED_FIELDS.filter((k): k is Exclude<TrackedField, 'status'> => k !== 'status');

/**
 * A diagnostic as the API returns it: the stored row with its display id (`D-n`), whether it is overdue now,
 * and without the notification bookkeeping.
 */
export type DiagnosticView = Omit<Diagnostic, 'id' | 'due_soon_notified_at' | 'overdue_notified_at'> & {
  id: string;
  overdue: boolean;
};

export interface CommentView {
  id: number;
  ts: string;
  author: string;
  body: string;
  kind: 'user' | 'system';
}

export interface IncidentLinkView {
  incident_id: string;
  rule: string;
  node: string;
  severity: string;
  title: string;
  linked_at: string;
  resolved_at: string | null;
  resolved_by: string | null;
  resolution_note: string | null;
}

export interface DiagnosticDetail extends DiagnosticView {
  comments: CommentView[];
  history: Omit<HistoryEntry, 'diagnostic_id'>[];
  incidents: IncidentLinkView[];
  /** Allowed `to` values of POST /:id/transition from the current status. */
  allowed_transitions: DiagnosticStatus[];
  can_reopen: boolean;
  /** Only for open and in-progress diagnostics. */
  estimate: ResolutionEstimate | null;
}

export interface ListRequest extends Omit<DiagnosticListQuery, 'after' | 'now'> {
  cursor?: string;
}

export interface DiagnosticsAnalytics {
  generated_at: string;
  range: { since: string; until: string };
  open_by_severity: Record<DiagnosticSeverity, number>;
  open_total: number;
  overdue: number;
  time_to_resolve: Record<DiagnosticSeverity, ResolutionStats>;
  weekly: WeekCount[];
  estimate: ResolutionEstimate | null;
}

export interface DiagnosticsServiceDeps {
  db: Db;
  repo: DiagnosticsRepository;
  events: EventLog;
  kv: KvRepository;
  metrics: DiagnosticsMetrics;
  notifier: DiagnosticsNotifier;
  config: Config['diagnostics'];
  node: string;
  log: Logger;
  now?: () => Date;
}

const cursorSchema = z.object({
  s: z.enum(['created_at', 'updated_at', 'due_at', 'severity']),
  o: z.enum(['asc', 'desc']),
  k: z.union([z.string(), z.number()]),
  i: z.number().int().positive(),
});

const incidentOpenedSchema = z.object({
  incident_id: z.string().min(1).max(200),
  rule: z.string().min(1).max(200),
  node: z.string().min(1).max(200),
  severity: z.string().max(50).optional(),
  title: z.string().max(500).optional(),
  open_diagnostic: z.boolean().optional().default(false),
});

const incidentResolvedSchema = z.object({
  incident_id: z.string().min(1).max(200),
  rule: z.string().max(200).optional(),
  actor: z.string().max(400).nullable().optional(),
  note: z.string().max(4000).nullable().optional(),
});

/** KV key: seq of the last guardian event handled, so a restart catches up on what it missed. */
export const INCIDENT_CURSOR_KEY = 'diagnostics:incident_cursor';
const INCIDENT_KINDS = ['incident.opened', 'incident.resolved'];

const GUARDIAN_ACTOR = 'guardian';
const WEEK_MS = 7 * 24 * 3600 * 1000;

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The diagnostics use cases: create, edit, comment, assign, move through the lifecycle, list,
 * analytics, guardian incident links and due-date notifications. Every change writes the row,
 * its history entry and its event in one transaction; notifications leave after the commit.
 */
export class DiagnosticsService {
  private readonly now: () => Date;

  constructor(private readonly deps: DiagnosticsServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  get repo(): DiagnosticsRepository {
    return this.deps.repo;
  }

  // ---- views ----

  view(d: Diagnostic, now = this.now().toISOString()): DiagnosticView {
    return {
      id: formatDiagnosticId(d.id),
      title: d.title,
      description: d.description,
      severity: d.severity,
      status: d.status,
      assignee: d.assignee,
      due_at: d.due_at,
      overdue: ACTIVE_STATUSES.includes(d.status) && d.due_at !== null && d.due_at < now,
      tags: d.tags,
      component: d.component,
      roadmap_url: d.roadmap_url,
      origin: d.origin,
      rule: d.rule,
      node: d.node,
      created_by: d.created_by,
      created_at: d.created_at,
      updated_at: d.updated_at,
      resolved_at: d.resolved_at,
      closed_at: d.closed_at,
    };
  }

  private must(id: number): Diagnostic {
    const d = this.deps.repo.get(id);
    if (!d) throw new DiagnosticNotFoundError(id);
    return d;
  }

  get(id: number): DiagnosticDetail {
    const d = this.must(id);
    const { repo } = this.deps;
    const active = ACTIVE_STATUSES.includes(d.status);
    return {
      ...this.view(d),
      comments: repo.comments(id).map(({ diagnostic_id: _d, ...c }) => c),
      history: repo.history(id).map(({ diagnostic_id: _d, ...h }) => h),
      incidents: repo.incidentsOf(id).map(({ diagnostic_id: _d, ...l }) => l),
      allowed_transitions: [...allowedTransitions(d.status)],
      can_reopen: REOPENABLE.includes(d.status),
      estimate: active ? this.estimateFor(d) : null,
    };
  }

  /** The diagnostic an incident opened or joined (`D-42`), or null. */
  forIncident(incidentId: string): string | null {
    const link = this.deps.repo.incidentLink(incidentId);
    return link ? formatDiagnosticId(link.diagnostic_id) : null;
  }

  // ---- writes ----

  private event(
    d: Diagnostic,
    kind: string,
    actor: string | null,
    data: Record<string, unknown>,
    severity: Severity = 'info'
  ): StoredEvent {
    const input: EventInput = {
      source: 'diagnostics',
      kind,
      severity,
      subject: formatDiagnosticId(d.id),
      actor,
      data: { diagnostic_id: formatDiagnosticId(d.id), title: d.title, status: d.status, ...data },
    };
    return this.deps.events.append(input);
  }

  /** Appends the notification event (inside the caller's transaction) and returns what to deliver. */
  private notification(
    d: Diagnostic,
    kind: NotificationKind,
    actor: string | null,
    data: Record<string, unknown> = {}
  ): DiagnosticNotification {
    const e = this.event(
      d,
      `diagnostic.${kind}`,
      actor,
      { notification: kind, assignee: d.assignee, due_at: d.due_at, ...data },
      kind === 'overdue' ? 'warning' : 'info'
    );
    return {
      kind,
      event_id: e.id,
      ts: e.ts,
      node: this.deps.node,
      actor,
      diagnostic: {
        id: formatDiagnosticId(d.id),
        title: d.title,
        severity: d.severity,
        status: d.status,
        assignee: d.assignee,
        due_at: d.due_at,
        component: d.component,
        tags: d.tags,
      },
    };
  }

  private deliver(notes: readonly DiagnosticNotification[]): void {
    for (const n of notes) {
      this.deps.metrics.notifications.inc({ kind: n.kind });
      this.deps.notifier.dispatch(n);
    }
  }

  create(
    draft: DiagnosticDraft,
    actor: string,
    origin: 'api' | 'guardian' = 'api',
    extra: { rule?: string; node?: string } = {}
  ): DiagnosticView {
    const now = this.now().toISOString();
    const { repo, db } = this.deps;
    const [d, notes] = db.transaction((): [Diagnostic, DiagnosticNotification[]] => {
      const id = repo.insert({
        title: draft.title,
        description: draft.description ?? '',
        severity: draft.severity,
        status: 'open',
        assignee: draft.assignee ?? null,
        due_at: draft.due_at ?? null,
        tags: draft.tags ?? [],
        component: draft.component ?? null,
        roadmap_url: draft.roadmap_url ?? null,
        origin,
        rule: extra.rule ?? null,
        node: extra.node ?? null,
        created_by: actor,
        created_at: now,
        updated_at: now,
        resolved_at: null,
        closed_at: null,
        due_soon_notified_at: null,
        overdue_notified_at: null,
      });
      const created = repo.get(id)!;
      const changes: Record<string, FieldChange> = {};
      for (const k of TRACKED_FIELDS) {
        const v = created[k];
        if (v !== null && v !== '' && !(Array.isArray(v) && !v.length)) changes[k] = { from: null, to: v };
      }
      repo.addHistory({ diagnostic_id: id, ts: now, actor, action: 'created', changes });
      // The event carries the diagnostic's severity, so a critical one stands out in the feed.
      this.event(created, 'diagnostic.created', actor, { severity: created.severity, origin }, created.severity);
      const out: DiagnosticNotification[] = [];
      if (created.assignee) out.push(this.notification(created, 'assigned', actor));
      return [created, out];
    })();
    this.deliver(notes);
    return this.view(d);
  }

  update(id: number, patch: DiagnosticPatch, actor: string): DiagnosticView {
    const { repo, db } = this.deps;
    const [d, notes] = db.transaction((): [Diagnostic, DiagnosticNotification[]] => {
      const before = this.must(id);
      const now = this.now().toISOString();
      const changes: Record<string, FieldChange> = {};
      for (const k of EDITABLE_FIELDS) {
        const to = patch[k];
        if (to === undefined || sameValue(before[k], to)) continue;
        changes[k] = { from: before[k], to };
      }
      if (!Object.keys(changes).length) return [before, []];
      const cols: Record<string, unknown> = { updated_at: now };
      for (const [k, c] of Object.entries(changes)) if (k !== 'tags') cols[k] = c.to;
      if (changes['due_at']) {
        // A new due date gets its own due-soon and overdue notices.
        cols['due_soon_notified_at'] = null;
        cols['overdue_notified_at'] = null;
      }
      repo.update(id, cols);
      if (changes['tags']) repo.setTags(id, changes['tags'].to as string[]);
      const after = repo.get(id)!;
      repo.addHistory({ diagnostic_id: id, ts: now, actor, action: 'updated', changes });
      this.event(after, 'diagnostic.updated', actor, { changes });
      const out: DiagnosticNotification[] = [];
      if (changes['assignee'] && after.assignee)
        out.push(this.notification(after, 'assigned', actor, { previous: before.assignee }));
      return [after, out];
    })();
    this.deliver(notes);
    return this.view(d);
  }

  assign(id: number, assignee: string | null, actor: string, note?: string): DiagnosticView {
    const { repo, db } = this.deps;
    const [d, notes] = db.transaction((): [Diagnostic, DiagnosticNotification[]] => {
      const before = this.must(id);
      if (before.assignee === assignee) return [before, []];
      const now = this.now().toISOString();
      repo.update(id, { assignee, updated_at: now });
      const after = repo.get(id)!;
      const changes = { assignee: { from: before.assignee, to: assignee } };
      repo.addHistory({
        diagnostic_id: id,
        ts: now,
        actor,
        action: assignee ? 'assigned' : 'unassigned',
        changes,
        note,
      });
      if (!assignee) {
        this.event(after, 'diagnostic.unassigned', actor, { previous: before.assignee, note: note ?? null });
        return [after, []];
      }
      return [after, [this.notification(after, 'assigned', actor, { previous: before.assignee, note: note ?? null })]];
    })();
    this.deliver(notes);
    return this.view(d);
  }

  comment(id: number, body: string, actor: string, kind: 'user' | 'system' = 'user'): CommentView {
    const { repo, db } = this.deps;
    return db.transaction((): CommentView => {
      const d = this.must(id);
      const now = this.now().toISOString();
      const c = repo.addComment({ diagnostic_id: id, ts: now, author: actor, body, kind });
      repo.update(id, { updated_at: now });
      repo.addHistory({
        diagnostic_id: id,
        ts: now,
        actor,
        action: 'commented',
        changes: { comment: { from: null, to: c.id } },
      });
      this.event(d, 'diagnostic.commented', actor, { comment_id: c.id, kind });
      return { id: c.id, ts: c.ts, author: c.author, body: c.body, kind: c.kind };
    })();
  }

  /** Moves the status along TRANSITIONS; throws InvalidTransitionError with what is allowed. */
  transition(id: number, to: DiagnosticStatus, actor: string, note?: string): DiagnosticView {
    return this.move(id, to, actor, note, false);
  }

  /** The only way out of `closed` (and also allowed from `resolved`): back to in_progress. */
  reopen(id: number, actor: string, note?: string): DiagnosticView {
    return this.move(id, REOPEN_TO, actor, note, true);
  }

  private move(
    id: number,
    to: DiagnosticStatus,
    actor: string,
    note: string | undefined,
    reopen: boolean
  ): DiagnosticView {
    const { repo, db } = this.deps;
    let resolvedSeconds: number | null = null;
    const d = db.transaction((): Diagnostic => {
      const before = this.must(id);
      const from = before.status;
      const allowed = allowedTransitions(from);
      const ok = reopen ? REOPENABLE.includes(from) : allowed.includes(to);
      if (!ok) throw new InvalidTransitionError(from, reopen ? 'reopen' : to, allowed, REOPENABLE.includes(from));
      const now = this.now().toISOString();
      const cols: Record<string, string | null> = { status: to, updated_at: now };
      const changes: Record<string, FieldChange> = { status: { from, to } };
      if (to === 'resolved') cols['resolved_at'] = now;
      if (to === 'closed') cols['closed_at'] = now;
      if (to === 'open' || to === 'in_progress') {
        // Back to work: the earlier resolution no longer counts.
        cols['resolved_at'] = null;
        cols['closed_at'] = null;
      }
      for (const k of ['resolved_at', 'closed_at'] as const) {
        if (k in cols && before[k] !== cols[k]) changes[k] = { from: before[k], to: cols[k] };
      }
      repo.update(id, cols);
      const after = repo.get(id)!;
      repo.addHistory({
        diagnostic_id: id,
        ts: now,
        actor,
        action: reopen ? 'reopened' : 'transitioned',
        changes,
        note,
      });
      this.event(after, reopen ? 'diagnostic.reopened' : 'diagnostic.transitioned', actor, {
        from,
        to,
        note: note ?? null,
      });
      if (to === 'resolved') resolvedSeconds = secondsToResolve(after);
      return after;
    })();
    if (resolvedSeconds !== null)
      this.deps.metrics.resolutionSeconds.observe({ severity: d.severity }, resolvedSeconds);
    return this.view(d);
  }

  // ---- reads ----

  list(req: ListRequest): { items: DiagnosticView[]; next_cursor: string | null } {
    let after: ListPosition | undefined;
    if (req.cursor) after = this.decodeCursor(req.cursor, req.sort, req.order);
    const now = this.now().toISOString();
    const { cursor: _c, ...rest } = req;
    const { rows, keys } = this.deps.repo.list({ ...rest, now, after, limit: req.limit + 1 });
    return pageRows(
      rows,
      req.limit,
      (d) => this.view(d, now),
      (d, i) => this.encodeCursor(req.sort, req.order, keys[i]!, d.id)
    );
  }

  private encodeCursor(s: SortField, o: SortOrder, k: string | number, i: number): string {
    return Buffer.from(JSON.stringify({ s, o, k, i }), 'utf8').toString('base64url');
  }

  private decodeCursor(cursor: string, sort: SortField, order: SortOrder): ListPosition {
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch (err) {
      throw new InvalidCursorError('not a cursor returned by this API', { cause: err });
    }
    const parsed = cursorSchema.safeParse(raw);
    if (!parsed.success) throw new InvalidCursorError('not a cursor returned by this API');
    if (parsed.data.s !== sort || parsed.data.o !== order) {
      throw new InvalidCursorError(`the cursor belongs to sort=${parsed.data.s}&order=${parsed.data.o}`);
    }
    return { key: parsed.data.k, id: parsed.data.i };
  }

  private estimateFor(d: Diagnostic): ResolutionEstimate {
    return estimateResolution(
      d,
      this.deps.repo.resolved(),
      this.deps.config.estimate_min_sample,
      this.now(),
      formatDiagnosticId
    );
  }

  estimate(id: number): ResolutionEstimate {
    return this.estimateFor(this.must(id));
  }

  /**
   * Open counts and overdue are as of now; time to resolve and the weekly trend cover [since, until)
   * (default: the 12 ISO weeks up to now, the current one included).
   */
  analytics(range: { since?: string; until?: string; diagnosticId?: number } = {}): DiagnosticsAnalytics {
    const nowDate = this.now();
    const until = range.until ? new Date(range.until) : nowDate;
    const since = range.since ? new Date(range.since) : new Date(weekStart(until).getTime() - 11 * WEEK_MS);
    const { repo } = this.deps;
    const resolvedInRange = repo.resolved({ since: since.toISOString(), until: until.toISOString() });
    const open = repo.activeBySeverity();
    return {
      generated_at: nowDate.toISOString(),
      range: { since: since.toISOString(), until: until.toISOString() },
      open_by_severity: open,
      open_total: Object.values(open).reduce((a, b) => a + b, 0),
      overdue: repo.overdueCount(nowDate.toISOString()),
      time_to_resolve: resolutionBySeverity(resolvedInRange),
      weekly: weeklyTrend(
        repo.createdBetween(since.toISOString(), until.toISOString()),
        resolvedInRange.map((r) => r.resolved_at!),
        since,
        until
      ),
      estimate: range.diagnosticId === undefined ? null : this.estimate(range.diagnosticId),
    };
  }

  // ---- guardian incidents ----

  /** Handles the guardian's incident events in a committed batch (the EventLog listener). */
  handleEvents(events: readonly StoredEvent[]): void {
    for (const e of events) {
      if (e.source !== 'guardian' || !INCIDENT_KINDS.includes(e.kind)) continue;
      try {
        this.handleIncidentEvent(e);
      } catch (err) {
        this.deps.log.error({ err, event: e.id }, 'diagnostics could not handle an incident event');
      }
    }
  }

  /** Handles guardian incident events committed since the last one handled (after a restart). */
  catchUp(): number {
    let after = this.deps.kv.get<number>(INCIDENT_CURSOR_KEY) ?? 0;
    let n = 0;
    for (;;) {
      const batch = this.deps.events.query({ sources: ['guardian'], kinds: INCIDENT_KINDS, after, limit: 500 });
      if (!batch.length) return n;
      this.handleEvents(batch);
      n += batch.length;
      after = batch[batch.length - 1]!.seq;
    }
  }

  private handleIncidentEvent(e: StoredEvent): void {
    const { db, kv } = this.deps;
    const notes = db.transaction((): DiagnosticNotification[] => {
      const done = kv.get<number>(INCIDENT_CURSOR_KEY) ?? 0;
      if (e.seq <= done) return [];
      const out = e.kind === 'incident.opened' ? this.onIncidentOpened(e) : this.onIncidentResolved(e);
      kv.set(INCIDENT_CURSOR_KEY, e.seq);
      return out;
    })();
    this.deliver(notes);
  }

  private onIncidentOpened(e: StoredEvent): DiagnosticNotification[] {
    const parsed = incidentOpenedSchema.safeParse(e.data);
    if (!parsed.success) {
      this.deps.log.warn(
        { event: e.id, issues: parsed.error.issues },
        'incident.opened event without the fields diagnostics need: skipped'
      );
      return [];
    }
    const inc = parsed.data;
    const { repo } = this.deps;
    if (!inc.open_diagnostic || repo.incidentLink(inc.incident_id)) return [];
    const severity = severityFromIncident(inc.severity ?? e.severity);
    const title = inc.title?.trim() || `${inc.rule} on ${inc.node}`;
    const now = this.now().toISOString();
    const existing = repo.activeForRule(inc.rule, inc.node);
    let target: Diagnostic;
    if (existing) {
      const changes: Record<string, FieldChange> = { incidents: { from: null, to: inc.incident_id } };
      // A repeat at a higher severity raises the diagnostic; it never lowers it.
      if (severityRankOf(severity) > severityRankOf(existing.severity)) {
        repo.update(existing.id, { severity });
        changes['severity'] = { from: existing.severity, to: severity };
      }
      repo.update(existing.id, { updated_at: now });
      repo.addHistory({
        diagnostic_id: existing.id,
        ts: now,
        actor: GUARDIAN_ACTOR,
        action: 'incident_linked',
        changes,
        note: title,
      });
      repo.addComment({
        diagnostic_id: existing.id,
        ts: now,
        author: GUARDIAN_ACTOR,
        kind: 'system',
        body: `Incident ${inc.incident_id} (${title}) fired again for rule ${inc.rule} on ${inc.node} and was linked here.`,
      });
      target = repo.get(existing.id)!;
    } else {
      const tags = ['guardian', `rule:${inc.rule}`].filter((t) => tagSchema.safeParse(t).success);
      this.create(
        {
          title,
          description: `Opened by the guardian: rule ${inc.rule} fired on node ${inc.node} (incident ${inc.incident_id}).`,
          severity,
          tags,
        },
        GUARDIAN_ACTOR,
        'guardian',
        { rule: inc.rule, node: inc.node }
      );
      target = repo.activeForRule(inc.rule, inc.node)!;
    }
    repo.linkIncident({
      incident_id: inc.incident_id,
      diagnostic_id: target.id,
      rule: inc.rule,
      node: inc.node,
      severity,
      title,
      linked_at: now,
    });
    this.event(target, 'diagnostic.incident_linked', GUARDIAN_ACTOR, {
      incident_id: inc.incident_id,
      rule: inc.rule,
      node: inc.node,
      opened: !existing,
    });
    return [];
  }

  private onIncidentResolved(e: StoredEvent): DiagnosticNotification[] {
    const parsed = incidentResolvedSchema.safeParse(e.data);
    if (!parsed.success) {
      this.deps.log.warn(
        { event: e.id, issues: parsed.error.issues },
        'incident.resolved event without an incident_id: skipped'
      );
      return [];
    }
    const inc = parsed.data;
    const { repo } = this.deps;
    const link: IncidentLink | undefined = repo.incidentLink(inc.incident_id);
    if (!link || link.resolved_at) return [];
    const now = this.now().toISOString();
    const by = inc.actor ?? e.actor ?? null;
    const note = inc.note ?? null;
    repo.resolveIncidentLink(inc.incident_id, now, by, note);
    const d = repo.get(link.diagnostic_id)!;
    repo.addComment({
      diagnostic_id: d.id,
      ts: now,
      author: GUARDIAN_ACTOR,
      kind: 'system',
      body: `Incident ${inc.incident_id} was resolved${by ? ` by ${by}` : ''}${note ? `: ${note}` : '.'}`,
    });
    repo.update(d.id, { updated_at: now });
    repo.addHistory({
      diagnostic_id: d.id,
      ts: now,
      actor: by ?? GUARDIAN_ACTOR,
      action: 'incident_resolved',
      changes: { incident_resolved: { from: null, to: inc.incident_id } },
      note,
    });
    this.event(d, 'diagnostic.incident_resolved', by, { incident_id: inc.incident_id, note });
    return [];
  }

  // ---- due dates ----

  /** Sends due-soon and overdue notices not yet sent; each once per due date. Returns how many. */
  checkDue(): number {
    const { repo, db, config } = this.deps;
    const nowDate = this.now();
    const now = nowDate.toISOString();
    const until = new Date(nowDate.getTime() + config.due_soon_window_ms).toISOString();
    const notes = db.transaction((): DiagnosticNotification[] => {
      const out: DiagnosticNotification[] = [];
      for (const d of repo.dueForNotice('overdue', now, now)) {
        repo.update(d.id, { overdue_notified_at: now });
        out.push(this.notification(d, 'overdue', null));
      }
      for (const d of repo.dueForNotice('due_soon', now, until)) {
        repo.update(d.id, { due_soon_notified_at: now });
        out.push(this.notification(d, 'due_soon', null));
      }
      return out;
    })();
    this.deliver(notes);
    return notes.length;
  }
}
