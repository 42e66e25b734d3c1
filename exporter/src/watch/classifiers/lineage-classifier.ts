import { z } from 'zod';
import { GENERATION_STATUSES, type LineageDoc } from '../../store/lineage-repository';
import { type Classified, type FileContent, decodeJson, fail, issuesOf, ok } from './classifier';

/** The one file the lineage classifier reads. */
export const LINEAGE_FILE = 'lineage/lineage_index.json';

const generationSchema = z.looseObject({
  id: z.string().min(1),
  parent: z.string().min(1).nullable().default(null),
  created_at: z.string().nullable().default(null),
  status: z.enum(GENERATION_STATUSES),
  kpis: z.record(z.string(), z.number()).default({}),
  artifacts: z.array(z.string()).default([]),
  notes: z.string().optional(),
});

/** `lineage_index.json` (ARCHITECTURE §3). Unknown fields are kept and served as they are. */
export const lineageDocSchema = z
  .looseObject({
    model: z.string().min(1),
    generations: z.array(generationSchema),
  })
  .superRefine((doc, ctx) => {
    const seen = new Set<string>();
    doc.generations.forEach((g, i) => {
      if (seen.has(g.id))
        ctx.addIssue({ code: 'custom', path: ['generations', i, 'id'], message: `duplicate generation id ${g.id}` });
      seen.add(g.id);
    });
  });

/** Validates a lineage index; a failure carries the zod field paths or the JSON parse error. */
export function classifyLineage(file: FileContent): Classified<LineageDoc> {
  const decoded = decodeJson(file.bytes);
  if (!decoded.ok) return decoded;
  const parsed = lineageDocSchema.safeParse(decoded.value);
  if (!parsed.success) {
    return fail('schema', 'lineage index does not match the schema', { issues: issuesOf(parsed.error) });
  }
  return ok(parsed.data as LineageDoc);
}
