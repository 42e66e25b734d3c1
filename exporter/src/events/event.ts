import { z } from 'zod';

/** Sources an event may come from (ARCHITECTURE §2). */
export const EVENT_SOURCES = [
  'watcher',
  'guardian',
  'scheduler',
  'actions',
  'agents',
  'diagnostics',
  'api',
  'workload',
  'heartbeat',
] as const;
export const SEVERITIES = ['debug', 'info', 'warning', 'critical'] as const;

export const eventSourceSchema = z.enum(EVENT_SOURCES);
export const severitySchema = z.enum(SEVERITIES);

export type EventSource = z.infer<typeof eventSourceSchema>;
export type Severity = z.infer<typeof severitySchema>;

/** The event envelope: the stored row, the SSE payload and the NATS payload. */
export const lookoutEventSchema = z.object({
  id: z.string().describe('ULID, sortable; the dedup key (Nats-Msg-Id)'),
  ts: z.string().describe('ISO-8601 UTC time the event happened'),
  node: z.string(),
  source: eventSourceSchema,
  kind: z.string().describe('dotted kind, e.g. file.changed, incident.opened'),
  severity: severitySchema,
  subject: z.string().describe('what the event is about: a path, an action id, an agent name'),
  data: z.record(z.string(), z.unknown()),
  trace_id: z.string(),
  actor: z.string().nullable(),
});
export type LookoutEvent = z.infer<typeof lookoutEventSchema>;

/** What a producer hands to the event log; id, ts, node and trace_id are filled in when absent. */
export interface EventInput {
  source: EventSource;
  kind: string;
  severity?: Severity;
  subject?: string;
  data?: Record<string, unknown>;
  ts?: string;
  trace_id?: string;
  actor?: string | null;
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** Feeds are fixed views over sources (ARCHITECTURE §4). */
export const FEEDS = {
  scheduler: ['scheduler', 'actions'],
  guardian: ['guardian'],
  activity: ['watcher', 'workload'],
  agents: ['agents'],
  diagnostics: ['diagnostics'],
  all: [...EVENT_SOURCES],
} as const satisfies Record<string, readonly EventSource[]>;
export type FeedName = keyof typeof FEEDS;
export const FEED_NAMES = Object.keys(FEEDS) as FeedName[];
