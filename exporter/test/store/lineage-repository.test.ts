import fs from 'node:fs';
import path from 'node:path';
import { type Db, openDatabase } from '../../src/store/database';
import { type Generation, type LineageDoc, LineageRepository } from '../../src/store/lineage-repository';
import { tempDir } from '../helpers/sidecar';

const gen = (id: string, status: Generation['status'], created_at: string): Generation => ({
  id,
  parent: null,
  created_at,
  status,
  kpis: {},
  artifacts: [],
});

const doc = (...generations: Generation[]): LineageDoc => ({ model: 'm', generations });

describe('the current lineage view', () => {
  let dir: string;
  let db: Db;
  let lineage: LineageRepository;
  beforeEach(() => {
    dir = tempDir('lineage');
    db = openDatabase(path.join(dir, 'lookout.db'));
    lineage = new LineageRepository(db);
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('follows every apply, including one made after the view was read', () => {
    expect(lineage.current().active).toBeNull();
    lineage.apply(doc(gen('g1', 'active', '2026-01-01T00:00:00Z')), '2026-01-01T00:00:00Z');
    expect(lineage.current()).toMatchObject({ model: 'm', active: 'g1', canary: null });
    lineage.apply(
      doc(gen('g1', 'active', '2026-01-01T00:00:00Z'), gen('g2', 'canary', '2026-01-02T00:00:00Z')),
      '2026-01-02T00:00:00Z'
    );
    expect(lineage.current()).toMatchObject({ active: 'g1', canary: 'g2', updated_at: '2026-01-02T00:00:00Z' });
    expect(lineage.current().generations.map((g) => g.id)).toEqual(['g1', 'g2']);
  });

  test('an apply rolled back with its transaction leaves the committed view', () => {
    lineage.apply(doc(gen('g1', 'active', '2026-01-01T00:00:00Z')), '2026-01-01T00:00:00Z');
    expect(() =>
      db.transaction(() => {
        lineage.apply(doc(gen('g2', 'active', '2026-01-02T00:00:00Z')), '2026-01-02T00:00:00Z');
        expect(lineage.current().active).toBe('g2');
        throw new Error('batch failed');
      })()
    ).toThrow('batch failed');
    expect(lineage.current()).toMatchObject({ active: 'g1', updated_at: '2026-01-01T00:00:00Z' });
  });

  test('the shared view cannot be changed by a caller', () => {
    lineage.apply(doc(gen('g1', 'active', '2026-01-01T00:00:00Z')), '2026-01-01T00:00:00Z');
    const view = lineage.current();
    expect(() => (view.generations as Generation[]).push(gen('x', 'failed', '2026-01-03T00:00:00Z'))).toThrow(
      TypeError
    );
    expect(lineage.current().generations).toHaveLength(1);
  });
});
