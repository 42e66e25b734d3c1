import { configSchema } from '../src/config/config-schema';
import type { EventInput } from '../src/events/event';
import { ActivityRules, classifyActivity } from '../src/watch/classifiers/activity-classifier';
import type { FileContent } from '../src/watch/classifiers/classifier';
import { activityEvent } from '../src/watch/file-ingestor';

/** The activity rules a sidecar with default configuration uses. */
export function defaultActivityRules(): ActivityRules {
  return new ActivityRules(configSchema.parse({}).watch.activity_rules);
}

/** The watcher's own activity files, in the three classic classes (ARCHITECTURE §3). */
export function activityFiles(n: number): FileContent[] {
  const types = ['analyze', 'refactor', 'document', 'test', 'process'];
  const files: FileContent[] = [];
  const mtimeMs = Date.now();
  for (let i = 0; i < n; i++) {
    let relPath: string;
    let doc: Record<string, unknown>;
    switch (i % 3) {
      case 0:
        relPath = `activity/tasks/task-${i}.json`;
        doc = { id: `t-${i}`, type: types[i % types.length], status: 'completed', result: { ok: true, items: i % 17 } };
        break;
      case 1:
        relPath = `activity/llm/gpt-4o_${i}.json`;
        doc = { prompt: `summarize the drift report for window ${i}`, response: 'drift is within bounds; no action' };
        break;
      default:
        relPath = `activity/propagation/prop-${i}.json`;
        doc = { subsystem: 'risk', pattern: `limits.v${i % 9}`, status: 'propagated' };
    }
    const bytes = Buffer.from(JSON.stringify({ ...doc, timestamp: new Date(mtimeMs).toISOString() }));
    files.push({ relPath, bytes, size: bytes.length, mtimeMs });
  }
  return files;
}

/** Exactly what the watcher's file ingestor turns an activity file into (src/watch/file-ingestor.ts). */
export function toEventInput(file: FileContent, rules: ActivityRules): EventInput {
  return activityEvent(file, classifyActivity(file, rules));
}
