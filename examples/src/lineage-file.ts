import type { Generation, GenerationStatus, Kpis, LineageIndex } from './types';

const STATUSES: readonly GenerationStatus[] = ['candidate', 'canary', 'active', 'retired', 'failed'];
const KPI_KEYS: readonly (keyof Kpis)[] = ['sharpe', 'hit_rate', 'max_drawdown', 'calibration_error', 'turnover'];

/** The lineage file in the workspace cannot be resumed; `cause` holds the parse or shape error. */
export class LineageFileError extends Error {
  override readonly name = 'LineageFileError';

  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(`${file}: ${message}`, options);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseGeneration(value: unknown, at: string): Generation {
  if (!isObject(value)) throw new Error(`${at}: expected an object`);
  const { id, parent, created_at: createdAt, status, kpis, artifacts, notes } = value;
  if (typeof id !== 'string' || id.length === 0) throw new Error(`${at}.id: expected a non-empty string`);
  if (parent !== null && typeof parent !== 'string') throw new Error(`${at}.parent: expected a string or null`);
  if (typeof createdAt !== 'string') throw new Error(`${at}.created_at: expected a string`);
  if (!STATUSES.includes(status as GenerationStatus))
    throw new Error(`${at}.status: expected one of ${STATUSES.join('|')}`);
  if (!isObject(kpis)) throw new Error(`${at}.kpis: expected an object`);
  for (const key of KPI_KEYS) {
    if (typeof kpis[key] !== 'number') throw new Error(`${at}.kpis.${key}: expected a number`);
  }
  if (!Array.isArray(artifacts) || !artifacts.every((a) => typeof a === 'string')) {
    throw new Error(`${at}.artifacts: expected an array of strings`);
  }
  // Unknown fields are kept: someone may annotate generations by hand.
  return { ...value, notes: typeof notes === 'string' ? notes : '' } as unknown as Generation;
}

/** Parses a lineage file written by an earlier run so the simulator can resume it. */
export function parseLineageIndex(file: string, text: string): LineageIndex {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new LineageFileError(file, 'not valid JSON', { cause: err });
  }
  try {
    if (!isObject(raw)) throw new Error('expected an object');
    if (typeof raw.model !== 'string' || raw.model.length === 0) throw new Error('model: expected a non-empty string');
    if (!Array.isArray(raw.generations)) throw new Error('generations: expected an array');
    const generations = raw.generations.map((g, i) => parseGeneration(g, `generations[${i}]`));
    const active = generations.filter((g) => g.status === 'active');
    if (active.length !== 1) throw new Error(`expected exactly one active generation, found ${active.length}`);
    const ids = new Set(generations.map((g) => g.id));
    const history = Array.isArray(raw.active_history)
      ? raw.active_history.filter((id): id is string => typeof id === 'string' && ids.has(id))
      : [];
    if (history[history.length - 1] !== active[0]!.id) history.push(active[0]!.id);
    return { ...raw, model: raw.model, generations, active_history: history };
  } catch (err) {
    throw new LineageFileError(file, (err as Error).message, { cause: err });
  }
}
