/**
 * One measurement in the `npm run bench` table. `baseline` is measured in the same run (never a
 * remembered number), `ratio` is value / baseline, `target` says in words what passes, and `pass` is
 * null when a row has no target (context only).
 */
export interface BenchRow {
  name: string;
  value: number;
  baseline: number | null;
  ratio: number | null;
  target: string;
  pass: boolean | null;
  unit: string;
}

/** What run.ts hands every bench module's `run()`; modules written without a parameter simply ignore it. */
export interface BenchOptions {
  /** Smaller sizes and shorter runs: a smoke test of the bench itself, not a measurement to quote. */
  quick: boolean;
  /** Sub-bench names to run (from `--only`); empty = all of them. */
  only: readonly string[];
}

/** The contract of a `*-bench.ts` module: run.ts imports every one it finds in this folder. */
export interface BenchModule {
  run(opts?: BenchOptions): Promise<BenchRow[]>;
  /** Names `--only` may select inside the module (besides the module's own name). */
  benches?: readonly string[];
}

/** `value / baseline`, or null when there is no usable baseline. */
export function ratioOf(value: number, baseline: number | null): number | null {
  if (baseline === null || !Number.isFinite(baseline) || baseline === 0) return null;
  return value / baseline;
}

/** Whether a sub-bench is selected by `--only` (nothing given = everything). */
export function selected(opts: BenchOptions | undefined, name: string): boolean {
  return !opts || opts.only.length === 0 || opts.only.includes(name);
}
