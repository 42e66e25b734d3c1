import { type ParsedSnapshot, parseTelemetrySnapshot } from '../../telemetry';
import { type Classified, type FileContent, decodeJson, fail, ok } from './classifier';

/**
 * `telemetry/*.json`: one snapshot `{ ts, labels, metrics: { name: number }, samples: [...] }` per file.
 * A malformed envelope, or a snapshot with no valid sample at all, refuses the file; otherwise the
 * good samples are kept and the refused ones travel with the snapshot to be counted and reported.
 */
export function classifyTelemetry(file: FileContent): Classified<ParsedSnapshot> {
  const decoded = decodeJson(file.bytes);
  if (!decoded.ok) return decoded;
  const parsed = parseTelemetrySnapshot(decoded.value);
  if (!parsed.ok) return fail('schema', parsed.error, { issues: parsed.issues });
  return ok(parsed.snapshot);
}
