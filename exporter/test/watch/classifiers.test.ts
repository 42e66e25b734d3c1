import { globToRegExp, GlobSet } from '../../src/watch/glob-matcher';
import { ActivityRules, classifyActivity, modelFromFileName } from '../../src/watch/classifiers/activity-classifier';
import { classifyLineage } from '../../src/watch/classifiers/lineage-classifier';
import { classifyTelemetry } from '../../src/watch/classifiers/telemetry-classifier';
import {
  classifyCalibrationImage,
  parseCalibrationPath,
  sniffImageType,
} from '../../src/watch/classifiers/calibration-classifier';
import { classifierFor } from '../../src/watch/classifier-router';
import type { FileContent } from '../../src/watch/classifiers/classifier';

const MTIME = Date.parse('2024-05-01T12:00:00Z');
const file = (relPath: string, content: string | Buffer): FileContent => {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return { relPath, bytes, size: bytes.length, mtimeMs: MTIME };
};
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const RULES = new ActivityRules([
  { glob: 'activity/tasks/**', class: 'tasks' },
  { glob: 'activity/llm/**', class: 'llm' },
  { glob: 'activity/propagation/**', class: 'propagation' },
]);

describe('glob matcher', () => {
  it('matches the default ignore and activity globs the way a shell user expects', () => {
    const ignore = new GlobSet(['**/.*', '**/*.tmp', '**/*~']);
    expect(ignore.matches('activity/.hidden')).toBe(true);
    expect(ignore.matches('.git')).toBe(true);
    expect(ignore.matchesPathOrAncestor('activity/.git/objects/ab')).toBe(true);
    expect(ignore.matches('activity/x.json.tmp')).toBe(true);
    expect(ignore.matches('activity/x.json')).toBe(false);
    expect(globToRegExp('activity/tasks/**').test('activity/tasks/a/b.json')).toBe(true);
    expect(globToRegExp('activity/tasks/**').test('activity/tasksx/b.json')).toBe(false);
    expect(globToRegExp('telemetry/*.{json,prom}').test('telemetry/a.prom')).toBe(true);
  });
});

describe('routing', () => {
  it('gives each sub-folder its classifier and leaves everything else alone', () => {
    expect(classifierFor('activity/any/thing.bin')).toBe('activity');
    expect(classifierFor('lineage/lineage_index.json')).toBe('lineage');
    expect(classifierFor('lineage/other.json')).toBeNull();
    expect(classifierFor('calibration/g1/curve.png')).toBe('calibration');
    expect(classifierFor('calibration/g1/curve.json')).toBe('calibration');
    expect(classifierFor('calibration/curve.png')).toBeNull();
    expect(classifierFor('telemetry/snap.json')).toBe('telemetry');
    expect(classifierFor('telemetry/readme.txt')).toBeNull();
    expect(classifierFor('README.md')).toBeNull();
  });
});

describe('activity classifier', () => {
  it('keeps the classic task payload and adds timestamp and file path', () => {
    const r = classifyActivity(
      file(
        'activity/tasks/t1.json',
        JSON.stringify({ id: 't1', type: 'analyze', status: 'done', result: 'ok', extra: 1 })
      ),
      RULES
    );
    expect(r.kind).toBe('activity.tasks');
    expect(r.data).toMatchObject({
      id: 't1',
      type: 'analyze',
      status: 'done',
      result: 'ok',
      file_path: 'activity/tasks/t1.json',
    });
    expect(r.data['extra']).toBeUndefined();
    expect(r.data['timestamp']).toBe(new Date(MTIME).toISOString());
    expect(r.schemaIssues).toBeUndefined();
  });

  it('infers the LLM model from the file name when the log does not say', () => {
    const r = classifyActivity(
      file('activity/llm/gpt-4o_2024-05-01.json', JSON.stringify({ prompt: 'p', response: 'r' })),
      RULES
    );
    expect(r.data).toMatchObject({ model: 'gpt-4o', prompt: 'p', response: 'r' });
    expect(modelFromFileName('activity/llm/session_claude-3-opus.json')).toBe('claude-3-opus');
    expect(modelFromFileName('activity/llm/run-17.json')).toBe('unknown');
  });

  it('still reports a payload that does not fit its class, flagged with the field paths', () => {
    const r = classifyActivity(
      file('activity/tasks/t2.json', JSON.stringify({ id: 't2', type: 'dance', status: 'x' })),
      RULES
    );
    expect(r.kind).toBe('activity.tasks');
    expect(r.severity).toBe('warning');
    expect(r.schemaIssues?.[0]?.path).toBe('type');
  });

  it('turns non-JSON content into file.changed with size and hash only', () => {
    const r = classifyActivity(file('activity/blob.bin', Buffer.from([0, 1, 2, 3])), RULES);
    expect(r.kind).toBe('file.changed');
    expect(r.data).toMatchObject({ size: 4, class: 'other' });
    expect(r.data['sha256']).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('lineage classifier', () => {
  it('keeps unknown fields', () => {
    const doc = {
      model: 'm',
      owner: 'sre',
      generations: [{ id: 'g1', parent: null, status: 'active', kpis: { sharpe: 1 }, color: 'blue' }],
    };
    const r = classifyLineage(file('lineage/lineage_index.json', JSON.stringify(doc)));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value['owner']).toBe('sre');
      expect(r.value.generations[0]!['color']).toBe('blue');
    }
  });

  it('refuses truncated JSON as a parse error and a wrong status as a schema error with its path', () => {
    const truncated = classifyLineage(file('lineage/lineage_index.json', '{"model": "m", "generations": [{"id"'));
    expect(truncated.ok || truncated.error.reason).toBe('parse');
    const wrong = classifyLineage(
      file('lineage/lineage_index.json', JSON.stringify({ model: 'm', generations: [{ id: 'g', status: 'zombie' }] }))
    );
    expect(wrong.ok).toBe(false);
    if (!wrong.ok) {
      expect(wrong.error.reason).toBe('schema');
      expect(wrong.error.details['issues']).toEqual([expect.objectContaining({ path: 'generations.0.status' })]);
    }
    const binary = classifyLineage(file('lineage/lineage_index.json', PNG));
    expect(binary.ok || binary.error.reason).toBe('binary');
  });
});

describe('telemetry classifier', () => {
  it('accepts a snapshot and refuses non-numeric metrics', () => {
    expect(classifyTelemetry(file('telemetry/a.json', JSON.stringify({ metrics: { drift_score: 0.2 } }))).ok).toBe(
      true
    );
    const bad = classifyTelemetry(file('telemetry/a.json', JSON.stringify({ metrics: { drift_score: 'high' } })));
    expect(bad.ok || bad.error.reason).toBe('schema');
  });
});

describe('calibration classifier', () => {
  it('sniffs magic bytes instead of trusting the extension', () => {
    expect(sniffImageType(PNG)).toBe('image/png');
    expect(sniffImageType(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffImageType(Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>'))).toBe(
      'image/svg+xml'
    );
    const fake = classifyCalibrationImage(file('calibration/g1/curve.png', 'not a png'), null);
    expect(fake.ok || fake.error.reason).toBe('parse');
  });

  it('gives an image a stable id and a content etag', () => {
    const a = classifyCalibrationImage(file('calibration/g1/curve.png', PNG), { title: 'Curve' });
    const b = classifyCalibrationImage({ ...file('calibration/g1/curve.png', PNG), mtimeMs: MTIME + 5000 }, null);
    expect(a.ok && b.ok).toBe(true);
    if (a.ok && b.ok) {
      expect(a.value.id).toBe(b.value.id);
      expect(a.value.etag).toBe(b.value.etag);
      expect(a.value).toMatchObject({
        generation: 'g1',
        name: 'curve',
        content_type: 'image/png',
        meta: { title: 'Curve' },
      });
    }
    expect(parseCalibrationPath('calibration/g1/curve.JPEG')).toMatchObject({ ext: 'jpeg', role: 'image' });
  });
});
