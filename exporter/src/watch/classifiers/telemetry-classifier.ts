import { type TelemetrySnapshot, telemetrySnapshotSchema } from '../../telemetry/telemetry-service';
import { type Classified, type FileContent, decodeJson, fail, issuesOf, ok } from './classifier';

/** `telemetry/*.json`: one snapshot `{ ts, metrics: { name: number }, labels }` per file. */
export function classifyTelemetry(file: FileContent): Classified<TelemetrySnapshot> {
  const decoded = decodeJson(file.bytes);
  if (!decoded.ok) return decoded;
  const parsed = telemetrySnapshotSchema.safeParse(decoded.value);
  if (!parsed.success)
    return fail('schema', 'telemetry snapshot does not match the schema', { issues: issuesOf(parsed.error) });
  return ok(parsed.data);
}
