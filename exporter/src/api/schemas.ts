import { z } from 'zod';
import { lookoutEventSchema, severitySchema } from '../events/event';

/** Shared pieces of request and response schemas. */

export const isoTime = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .describe('ISO-8601 time, e.g. 2026-11-21T10:00:00Z');

/** Longest value one filter item may have (a kind, a tag, an assignee). */
export const FILTER_ITEM_MAX = 200;
/** Most values one list filter may carry. */
export const FILTER_ITEMS_MAX = 50;

/** `?x=a,b&x=c` → ['a','b','c']; at most FILTER_ITEMS_MAX values of at most FILTER_ITEM_MAX characters. */
export const csvList = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .union([
      z.string().max(FILTER_ITEM_MAX * FILTER_ITEMS_MAX),
      z
        .array(z.string().max(FILTER_ITEM_MAX * FILTER_ITEMS_MAX))
        .max(FILTER_ITEMS_MAX, `at most ${FILTER_ITEMS_MAX} values`),
    ])
    .transform((v) =>
      (Array.isArray(v) ? v : [v])
        .flatMap((s) => s.split(','))
        .map((s) => s.trim())
        .filter(Boolean)
    )
    .pipe(
      z
        .array(z.string().max(FILTER_ITEM_MAX, `at most ${FILTER_ITEM_MAX} characters per value`).pipe(item))
        .max(FILTER_ITEMS_MAX, `at most ${FILTER_ITEMS_MAX} values`)
    );

export const limitParam = (max: number, def: number) =>
  z.coerce.number().int('limit must be a whole number').min(1).max(max).default(def);

/** Opaque cursors: base64url of the last row's sequence number. */
export function encodeCursor(seq: number | string): string {
  return Buffer.from(String(seq), 'utf8').toString('base64url');
}

export const cursorParam = z
  .string()
  .max(200)
  .transform((s, ctx) => {
    const decoded = Buffer.from(s, 'base64url').toString('utf8');
    if (!/^[0-9]{1,18}$/.test(decoded)) {
      ctx.addIssue({ code: 'custom', message: 'not a cursor returned by this API' });
      return z.NEVER;
    }
    return Number(decoded);
  });

export const eventSchema = lookoutEventSchema;

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() });

export const errorResponse = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
    request_id: z.string().optional(),
  }),
});

export const eventFilterQuery = z.strictObject({
  cursor: cursorParam.optional(),
  limit: limitParam(500, 100),
  source: csvList(z.string().regex(/^[a-z_]+$/)).optional(),
  kind: csvList(z.string().regex(/^[A-Za-z0-9_.*-]+$/)).optional(),
  severity: severitySchema.optional().describe('minimum severity'),
  since: isoTime.optional(),
  until: isoTime.optional(),
  subject: z.string().max(1024).optional(),
});

export const stdErrors = {
  400: { description: 'Invalid input', schema: errorResponse },
  401: { description: 'No or unknown token', schema: errorResponse },
  403: { description: 'Role not allowed', schema: errorResponse },
} as const;
