import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from './atomic-write';
import { renderCalibrationCharts } from './calibration-charts';
import { attachCommandBus, type BusSubscription, type CommandBus } from './command-bus';
import { parseLineageIndex } from './lineage-file';
import { Prng, hashSeed } from './prng';
import type {
  CalibrationMetadata,
  CommandResult,
  Generation,
  Kpis,
  LineageIndex,
  LlmRecord,
  PropagationRecord,
  TaskRecord,
  TaskType,
  TelemetryMetrics,
  TelemetrySample,
  TelemetrySnapshot,
} from './types';
import { WORKSPACE_PATHS, resolvePaths, type ResolvedPaths } from './workspace-layout';

/** The actions the workload obeys, in the order the README documents them. */
export const COMMAND_ACTIONS = [
  'kill',
  'kill_release',
  'retrain',
  'canary_promote',
  'rollback',
  'flush_guardrails',
] as const;
export type CommandAction = (typeof COMMAND_ACTIONS)[number];

export interface SimulatorOptions {
  /** Workspace root; `lineage/`, `calibration/`, `telemetry/` and `activity/` are created under it. */
  workspace: string;
  /** Seed of the simulator's own PRNG; the same seed, clock and inputs write the same files. Default 1. */
  seed?: number;
  /** Interval between ticks in milliseconds. Default 2000. */
  tickMs?: number;
  /** Model name in the lineage and telemetry labels. Default `momentum-policy`. */
  model?: string;
  /** Clock in epoch milliseconds; injectable so tests get fixed timestamps. Default `Date.now`. */
  now?: () => number;
  /**
   * When true (default) the workload also retrains on its own now and then and promotes a canary that
   * beats the active generation. When false those two decisions are left to the sidecar; candidates are
   * still evaluated into canary or failed, and a losing canary is still retired.
   */
  autopilot?: boolean;
  /** Ticks a candidate spends in offline evaluation before it becomes canary or failed. Default 5. */
  evaluationTicks?: number;
  /** Ticks a canary serves shadow traffic before it is judged against the active generation. Default 10. */
  canaryTicks?: number;
  /** Files kept per activity class; the oldest are deleted beyond it. Default 1000. */
  activityRetention?: number;
  /** Receives errors from timer-driven ticks, which have no caller to throw to. Default: `console.error`. */
  onError?: (err: unknown) => void;
}

export const DEFAULT_SIMULATOR_OPTIONS = {
  seed: 1,
  tickMs: 2000,
  model: 'momentum-policy',
  autopilot: true,
  evaluationTicks: 5,
  canaryTicks: 10,
  activityRetention: 1000,
} as const;

/** Options that cannot work; thrown by `createSimulator` before anything touches the disk. */
export class SimulatorOptionsError extends Error {
  override readonly name = 'SimulatorOptionsError';
}

/** A read-only view of what the simulator currently believes; the files say the same. */
export interface SimulatorState {
  model: string;
  running: boolean;
  killed: boolean;
  ticks: number;
  active: string;
  canary: string | null;
  generations: Generation[];
  metrics: TelemetryMetrics;
}

export interface Simulator {
  readonly workspace: string;
  /** Loads or bootstraps the workspace and ticks every `tickMs`. Calling it while running does nothing. */
  start(): void;
  /** Stops the timer and unsubscribes every bus subscription. Files stay; `start()` resumes. */
  stop(): void;
  /** Advances the simulation by one step now (what the timer calls). */
  tick(): void;
  /**
   * Runs a sidecar action. Its effect is written to the workspace before the promise resolves; failures
   * resolve to `{ ok: false }` rather than reject, so a bus reply always goes out.
   */
  handleCommand(action: string, params?: Record<string, unknown>): Promise<CommandResult>;
  /** Obeys `lookout.cmd.<node>.*` on `bus`, replying with each command's result. */
  attachBus(bus: CommandBus, node: string): BusSubscription;
  getState(): SimulatorState;
}

interface Resolved {
  workspace: string;
  seed: number;
  tickMs: number;
  model: string;
  now: () => number;
  autopilot: boolean;
  evaluationTicks: number;
  canaryTicks: number;
  activityRetention: number;
  onError: (err: unknown) => void;
}

function positiveInteger(name: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min) {
    throw new SimulatorOptionsError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

function resolveOptions(opts: SimulatorOptions): Resolved {
  if (typeof opts.workspace !== 'string' || opts.workspace.length === 0) {
    throw new SimulatorOptionsError('workspace must be a non-empty path');
  }
  const seed = opts.seed ?? DEFAULT_SIMULATOR_OPTIONS.seed;
  if (!Number.isSafeInteger(seed)) throw new SimulatorOptionsError(`seed must be an integer, got ${String(seed)}`);
  const model = opts.model ?? DEFAULT_SIMULATOR_OPTIONS.model;
  // The model shows up in file names and Prometheus labels, so keep it to a safe alphabet.
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(model)) {
    throw new SimulatorOptionsError(`model must match [A-Za-z0-9][A-Za-z0-9_.-]*, got ${JSON.stringify(model)}`);
  }
  return {
    workspace: opts.workspace,
    seed,
    // Below 10 ms the timer would mostly measure its own file writes.
    tickMs: positiveInteger('tickMs', opts.tickMs ?? DEFAULT_SIMULATOR_OPTIONS.tickMs, 10),
    model,
    now: opts.now ?? Date.now,
    autopilot: opts.autopilot ?? DEFAULT_SIMULATOR_OPTIONS.autopilot,
    evaluationTicks: positiveInteger(
      'evaluationTicks',
      opts.evaluationTicks ?? DEFAULT_SIMULATOR_OPTIONS.evaluationTicks
    ),
    canaryTicks: positiveInteger('canaryTicks', opts.canaryTicks ?? DEFAULT_SIMULATOR_OPTIONS.canaryTicks),
    activityRetention: positiveInteger(
      'activityRetention',
      opts.activityRetention ?? DEFAULT_SIMULATOR_OPTIONS.activityRetention
    ),
    onError: opts.onError ?? ((err: unknown) => console.error('[simulator] tick failed:', err)),
  };
}

const TASK_TYPES: readonly TaskType[] = ['analyze', 'refactor', 'document', 'test', 'process'];
const LLM_MODELS = ['gpt-4o-mini', 'claude-haiku', 'llama-3-8b'] as const;
const SUBSYSTEMS = ['risk', 'execution', 'pricing', 'routing', 'features'] as const;
const PATTERNS = ['drift-alert', 'latency-spike', 'config-change', 'model-rollout', 'circuit-breaker'] as const;
const PROPAGATION_STATUSES = ['detected', 'propagating', 'contained', 'resolved'] as const;
/** Venues of the per-venue series (`venue_latency_ms{venue}`, `venue_orders_total{venue}`). */
export const VENUES = ['CME', 'ICE', 'EUREX', 'LSE', 'NSDQ', 'ARCA'] as const;
/** Symbols of the per-symbol series (`symbol_position{symbol}`, `symbol_correlation{symbol}`). */
export const SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'ES', 'NQ', 'CL', 'GC', 'EURUSD'] as const;
/** How strongly each symbol moves with the portfolio in calm markets; stress pushes them all towards 1. */
const BASE_CORRELATION = [0.35, 0.42, 0.3, 0.55, 0.6, 0.12, -0.08, 0.05] as const;

const round = (v: number, digits: number): number => Number(v.toFixed(digits));
const clamp = (v: number, min: number, max: number): number => Math.min(max, Math.max(min, v));

/** One number that ranks generations; the canary is promoted when it beats the active one on it. */
export function kpiScore(k: Kpis): number {
  return k.sharpe + 4 * (k.hit_rate - 0.5) - 2 * k.max_drawdown - 5 * k.calibration_error;
}

/** Creates a simulator; nothing is written until `start()`, `tick()`, `getState()` or a command. */
export function createSimulator(opts: SimulatorOptions): Simulator {
  return new WorkloadSimulator(resolveOptions(opts));
}

/** Activity files of one class, oldest first, so retention can delete from the front. */
interface ActivityRing {
  dir: string;
  files: string[];
  next: number;
}

class WorkloadSimulator implements Simulator {
  readonly workspace: string;
  private readonly paths: ResolvedPaths;
  private readonly rng: Prng;
  private lineage: LineageIndex | undefined;
  private metrics: TelemetryMetrics = {
    drift_score: 0.05,
    policy_confidence: 0.85,
    pnl_realized: 0,
    pnl_unrealized: 0,
    pnl_drawdown: 0,
    order_fill_ratio: 0.96,
    state_active: 1,
    policy_reward: 0.08,
    policy_entropy: 0.95,
    win_rate: 0.54,
    portfolio_volatility: 0.12,
  };
  private peakEquity = 0;
  /** Per-venue and per-symbol state behind `samples`. */
  private readonly venueLatency = new Map<string, number>(VENUES.map((v) => [v, 8]));
  private readonly venueOrders = new Map<string, number>(VENUES.map((v) => [v, 0]));
  private readonly positions = new Map<string, number>(SYMBOLS.map((s) => [s, 0]));
  private readonly correlations = new Map<string, number>(SYMBOLS.map((s, i) => [s, BASE_CORRELATION[i]!]));
  /**
   * The per-venue, per-symbol and M16/M18 signals draw from their own stream, so a seed keeps producing
   * the same lineage, drift and PnL it always did.
   */
  private readonly signalRng: Prng;
  private killed = false;
  private ticks = 0;
  private nextGeneration = 1;
  /** Ticks each generation has spent in its current status; drives evaluation and canary judgement. */
  private readonly statusAge = new Map<string, number>();
  private readonly passedEvaluation = new Set<string>();
  private readonly openTasks = new Map<string, TaskRecord>();
  private rings: { tasks: ActivityRing; llm: ActivityRing; propagation: ActivityRing } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly subscriptions = new Set<BusSubscription>();

  constructor(private readonly opts: Resolved) {
    this.paths = resolvePaths(opts.workspace);
    this.workspace = this.paths.root;
    this.rng = new Prng(opts.seed);
    this.signalRng = new Prng(hashSeed(`signals:${opts.seed}`));
  }

  start(): void {
    this.ensureInitialized();
    if (this.timer) return;
    this.timer = setInterval(() => {
      try {
        this.tick();
      } catch (err) {
        this.opts.onError(err);
      }
    }, this.opts.tickMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const sub of this.subscriptions) sub.unsubscribe();
    this.subscriptions.clear();
  }

  tick(): void {
    this.ensureInitialized();
    this.ticks += 1;
    // A killed service serves no traffic, so nothing can be evaluated or promoted.
    if (!this.killed) this.lifecycleStep();
    this.updateMetrics();
    this.writeTelemetry();
    this.activityStep();
  }

  async handleCommand(action: string, params: Record<string, unknown> = {}): Promise<CommandResult> {
    let saved:
      { lineage: LineageIndex; metrics: TelemetryMetrics; killed: boolean; nextGeneration: number } | undefined;
    try {
      const lineage = this.ensureInitialized();
      saved = structuredClone({
        lineage,
        metrics: this.metrics,
        killed: this.killed,
        nextGeneration: this.nextGeneration,
      });
      return this.runCommand(action, params);
    } catch (err) {
      // A failed command must not leave memory ahead of the disk (a kill that was never written would
      // make the next kill answer "already killed"). Files written before the failure are rewritten from
      // this state by the next successful write.
      if (saved) {
        this.lineage = saved.lineage;
        this.metrics = saved.metrics;
        this.killed = saved.killed;
        this.nextGeneration = saved.nextGeneration;
      }
      return { ok: false, message: `${action} failed: ${(err as Error).message}` };
    }
  }

  attachBus(bus: CommandBus, node: string): BusSubscription {
    const inner = attachCommandBus(bus, node, (action, params) => this.handleCommand(action, params));
    const sub: BusSubscription = {
      unsubscribe: () => {
        this.subscriptions.delete(sub);
        inner.unsubscribe();
      },
    };
    this.subscriptions.add(sub);
    return sub;
  }

  getState(): SimulatorState {
    const lineage = this.ensureInitialized();
    return structuredClone({
      model: lineage.model,
      running: this.timer !== undefined,
      killed: this.killed,
      ticks: this.ticks,
      active: this.activeGeneration().id,
      canary: this.canaryGeneration()?.id ?? null,
      generations: lineage.generations,
      metrics: this.metrics,
    });
  }

  // ---- commands -------------------------------------------------------------------------------------

  private runCommand(action: string, params: Record<string, unknown>): CommandResult {
    switch (action) {
      case 'kill':
        return this.kill();
      case 'kill_release':
        return this.killRelease();
      case 'retrain':
        return this.retrain(params);
      case 'canary_promote':
        return this.canaryPromote();
      case 'rollback':
        return this.rollback(params);
      case 'flush_guardrails':
        // Guardrails live in the sidecar; the workload only acknowledges so the action completes.
        return { ok: true, message: 'acknowledged; the workload keeps no guardrail state' };
      default:
        return { ok: false, message: `unknown action ${JSON.stringify(action)}; known: ${COMMAND_ACTIONS.join(', ')}` };
    }
  }

  private kill(): CommandResult {
    const generation = this.activeGeneration().id;
    if (this.killed) return { ok: true, message: 'already killed', data: { state_active: 0, generation } };
    this.killed = true;
    // Stopping trading flattens the book: what was open is realised once, then PnL stays put.
    this.metrics.pnl_realized = round(this.metrics.pnl_realized + this.metrics.pnl_unrealized, 2);
    this.metrics.pnl_unrealized = 0;
    this.metrics.order_fill_ratio = 0;
    this.metrics.state_active = 0;
    this.metrics.policy_reward = 0;
    for (const sym of SYMBOLS) this.positions.set(sym, 0);
    this.writeTelemetry();
    return { ok: true, message: 'trading stopped', data: { state_active: 0, generation } };
  }

  private killRelease(): CommandResult {
    const generation = this.activeGeneration().id;
    if (!this.killed) return { ok: true, message: 'not killed; trading', data: { state_active: 1, generation } };
    this.killed = false;
    this.metrics.state_active = 1;
    this.writeTelemetry();
    return { ok: true, message: 'trading resumed', data: { state_active: 1, generation } };
  }

  private retrain(params: Record<string, unknown>): CommandResult {
    const reason = typeof params.reason === 'string' && params.reason.length > 0 ? params.reason : 'requested';
    const created = this.createCandidate(`retrain: ${reason}`);
    this.writeTelemetry();
    return {
      ok: true,
      message: `candidate ${created.id} trained from ${created.parent ?? 'nothing'}`,
      data: { generation: created.id, parent: created.parent, status: created.status, kpis: created.kpis },
    };
  }

  private canaryPromote(): CommandResult {
    const canary = this.canaryGeneration();
    if (!canary) return { ok: false, message: 'no canary generation to promote' };
    const previous = this.activeGeneration().id;
    this.activate(canary, 'promoted from canary');
    this.writeTelemetry();
    return {
      ok: true,
      message: `${canary.id} promoted; ${previous} retired`,
      data: { generation: canary.id, previous },
    };
  }

  private rollback(params: Record<string, unknown>): CommandResult {
    const lineage = this.ensureInitialized();
    const current = this.activeGeneration();
    const target = params.target;
    if (target !== undefined && (typeof target !== 'string' || target.length === 0)) {
      return { ok: false, message: 'params.target must be a generation id' };
    }
    let generation: Generation | undefined;
    if (target === undefined) {
      const previousId = [...lineage.active_history]
        .reverse()
        .find((id) => id !== current.id && lineage.generations.some((g) => g.id === id && g.status !== 'failed'));
      generation = lineage.generations.find((g) => g.id === previousId);
      if (!generation) return { ok: false, message: 'no previously active generation to roll back to' };
    } else {
      generation = lineage.generations.find((g) => g.id === target);
      if (!generation) return { ok: false, message: `unknown generation ${JSON.stringify(target)}` };
      // A failed generation never passed evaluation; serving it would be a new risk, not a rollback.
      if (generation.status === 'failed') return { ok: false, message: `${generation.id} failed evaluation` };
    }
    if (generation.id === current.id) {
      return { ok: true, message: `${generation.id} is already active`, data: { generation: generation.id } };
    }
    this.activate(generation, 'rollback');
    this.writeTelemetry();
    return {
      ok: true,
      message: `rolled back to ${generation.id}; ${current.id} retired`,
      data: { generation: generation.id, previous: current.id },
    };
  }

  // ---- lineage --------------------------------------------------------------------------------------

  private activeGeneration(): Generation {
    // parseLineageIndex and bootstrap both guarantee exactly one active generation.
    return this.ensureInitialized().generations.find((g) => g.status === 'active')!;
  }

  private canaryGeneration(): Generation | undefined {
    return this.ensureInitialized().generations.find((g) => g.status === 'canary');
  }

  private setStatus(generation: Generation, status: Generation['status'], note: string): void {
    generation.status = status;
    generation.notes = generation.notes ? `${generation.notes}; ${note}` : note;
    this.statusAge.set(generation.id, 0);
  }

  private activate(generation: Generation, reason: string): void {
    const lineage = this.ensureInitialized();
    const previous = this.activeGeneration();
    this.setStatus(previous, 'retired', `retired: ${generation.id} became active (${reason})`);
    this.setStatus(generation, 'active', `${reason}, replacing ${previous.id}`);
    lineage.active_history.push(generation.id);
    this.writeLineage();
  }

  private mutateKpis(parent: Kpis): Kpis {
    return {
      ...parent,
      sharpe: round(Math.max(0.1, parent.sharpe + this.rng.normal(0.06, 0.2)), 4),
      hit_rate: round(clamp(parent.hit_rate + this.rng.normal(0.003, 0.015), 0.42, 0.72), 4),
      max_drawdown: round(clamp(parent.max_drawdown + this.rng.normal(0, 0.025), 0.02, 0.4), 4),
      calibration_error: round(clamp(parent.calibration_error + this.rng.normal(-0.002, 0.012), 0.005, 0.2), 4),
      turnover: round(clamp(parent.turnover + this.rng.normal(0, 0.3), 0.5, 8), 4),
    };
  }

  /** Writes the images first so that once the lineage names an artifact, the file is already there. */
  private newGeneration(
    parent: Generation | null,
    kpis: Kpis,
    status: Generation['status'],
    notes: string
  ): Generation {
    const id = `gen-${String(this.nextGeneration).padStart(4, '0')}`;
    this.nextGeneration += 1;
    const createdAt = new Date(this.opts.now()).toISOString();
    const artifacts: string[] = [];
    for (const chart of renderCalibrationCharts(this.opts.seed, id, kpis)) {
      const relPng = `${WORKSPACE_PATHS.calibration}/${id}/${chart.name}.png`;
      const meta: CalibrationMetadata = {
        title: chart.title,
        metric: chart.metric,
        created_at: createdAt,
        generation: id,
        value: round(chart.value, 4),
      };
      writeFileAtomic(path.join(this.paths.root, relPng), chart.png);
      writeJsonAtomic(path.join(this.paths.calibration, id, `${chart.name}.json`), meta);
      artifacts.push(relPng);
    }
    const generation: Generation = {
      id,
      parent: parent?.id ?? null,
      created_at: createdAt,
      status,
      kpis,
      artifacts,
      notes,
    };
    this.statusAge.set(id, 0);
    return generation;
  }

  private createCandidate(reason: string): Generation {
    const lineage = this.ensureInitialized();
    const parent = this.activeGeneration();
    const generation = this.newGeneration(parent, this.mutateKpis(parent.kpis), 'candidate', reason);
    lineage.generations.push(generation);
    this.writeLineage();
    // Retraining on recent data is what brings the model back in line with the market.
    this.metrics.drift_score = round(this.rng.range(0.02, 0.08), 4);
    return generation;
  }

  private lifecycleStep(): void {
    const lineage = this.ensureInitialized();
    let changed = false;
    for (const g of lineage.generations) {
      if (g.status === 'candidate' || g.status === 'canary') {
        this.statusAge.set(g.id, (this.statusAge.get(g.id) ?? 0) + 1);
      }
    }

    for (const g of lineage.generations.filter((c) => c.status === 'candidate')) {
      if ((this.statusAge.get(g.id) ?? 0) < this.opts.evaluationTicks) continue;
      // Evaluated once: a candidate that passed waits for the canary slot without being re-judged.
      if (!this.passedEvaluation.has(g.id)) {
        const k = g.kpis;
        if (k.sharpe < 0.5 || k.calibration_error > 0.1 || k.max_drawdown > 0.25 || this.rng.chance(0.1)) {
          this.setStatus(g, 'failed', `failed evaluation (sharpe ${k.sharpe}, drawdown ${k.max_drawdown})`);
          changed = true;
          continue;
        }
        this.passedEvaluation.add(g.id);
        if (this.canaryGeneration()) {
          g.notes = `${g.notes}; passed evaluation, waiting for the canary slot`;
          changed = true;
        }
      }
      if (!this.canaryGeneration()) {
        this.setStatus(g, 'canary', 'passed evaluation; serving canary traffic');
        changed = true;
      }
    }

    const canary = this.canaryGeneration();
    if (canary && (this.statusAge.get(canary.id) ?? 0) >= this.opts.canaryTicks) {
      const active = this.activeGeneration();
      const better = kpiScore(canary.kpis) > kpiScore(active.kpis);
      if (!better) {
        this.setStatus(canary, 'retired', `canary did not beat ${active.id}`);
        changed = true;
      } else if (this.opts.autopilot) {
        // activate() writes the whole lineage, including any change made earlier in this step.
        this.activate(canary, 'promoted by autopilot: canary beat active');
        changed = false;
      }
    }

    if (this.opts.autopilot && !this.canaryGeneration() && !lineage.generations.some((g) => g.status === 'candidate')) {
      // Retrain now and then, and always before drift saturates, so a long demo keeps moving.
      if (this.metrics.drift_score >= 0.85 || this.rng.chance(0.02)) {
        this.createCandidate('retrain: scheduled by autopilot');
        changed = false;
      }
    }
    if (changed) this.writeLineage();
  }

  private writeLineage(): void {
    writeJsonAtomic(this.paths.lineage, this.ensureInitialized());
  }

  // ---- telemetry ------------------------------------------------------------------------------------

  private updateMetrics(): void {
    const m = this.metrics;
    const kpis = this.activeGeneration().kpis;
    // The market moves away from the training data a little every tick until the next retrain.
    m.drift_score = round(clamp(m.drift_score + this.rng.range(0.002, 0.014), 0, 1), 4);
    m.policy_confidence = round(
      clamp(0.95 - kpis.calibration_error * 2 - m.drift_score * 0.45 + this.rng.normal(0, 0.015), 0, 1),
      4
    );
    // The first venue keeps the draws the single venue latency always took (a seed's sequence is unchanged).
    const spike = this.rng.chance(0.03) ? this.rng.range(40, 200) : 0;
    const first = round(6 + this.rng.range(0, 4) + m.drift_score * 6 + spike, 1);
    this.updateSignals(first);
    if (this.killed) {
      m.pnl_unrealized = 0;
      m.order_fill_ratio = 0;
      m.state_active = 0;
      m.policy_reward = 0;
      this.updateDrawdown();
      return;
    }
    const edge = kpis.sharpe * 8 * (1 - m.drift_score);
    m.pnl_realized = round(m.pnl_realized + edge + this.rng.normal(0, 25), 2);
    m.pnl_unrealized = round(m.pnl_unrealized * 0.7 + this.rng.normal(0, 40), 2);
    m.order_fill_ratio = round(clamp(0.97 - m.drift_score * 0.12 + this.rng.normal(0, 0.01), 0, 1), 4);
    m.state_active = 1;
    m.policy_reward = round(edge / 10 + this.signalRng.normal(0, 0.05), 4);
    this.updateDrawdown();
  }

  private updateDrawdown(): void {
    const m = this.metrics;
    const equity = m.pnl_realized + m.pnl_unrealized;
    this.peakEquity = Math.max(this.peakEquity, equity);
    m.pnl_drawdown = round(this.peakEquity - equity, 2);
  }

  /** M16, M18 and the per-venue and per-symbol series; quiet ones while killed (no orders, flat book). */
  private updateSignals(firstVenueLatency: number): void {
    const m = this.metrics;
    const r = this.signalRng;
    const drift = m.drift_score;
    const kpis = this.activeGeneration().kpis;
    VENUES.forEach((v, i) => {
      const spike = i > 0 && r.chance(0.03) ? r.range(40, 200) : 0;
      this.venueLatency.set(v, i === 0 ? firstVenueLatency : round(6 + r.range(0, 4) + drift * 6 + spike, 1));
      if (!this.killed) this.venueOrders.set(v, this.venueOrders.get(v)! + r.int(0, 6));
    });
    SYMBOLS.forEach((sym, i) => {
      const pos = this.killed ? 0 : this.positions.get(sym)! * 0.8 + r.normal(0, 5);
      this.positions.set(sym, round(pos, 2));
      // Stress (drift) pulls every symbol towards moving with the portfolio.
      this.correlations.set(sym, round(clamp(BASE_CORRELATION[i]! + drift * 0.45 + r.normal(0, 0.03), -1, 1), 4));
    });
    m.policy_entropy = round(clamp(1.0 - drift * 0.55 + r.normal(0, 0.02), 0, Math.log(3)), 4);
    m.win_rate = round(clamp(kpis.hit_rate - drift * 0.1 + r.normal(0, 0.02), 0, 1), 4);
    m.portfolio_volatility = round(clamp(0.1 + drift * 0.12 + r.normal(0, 0.005), 0.01, 1), 4);
  }

  private samples(): TelemetrySample[] {
    const out: TelemetrySample[] = [];
    for (const [venue, v] of this.venueLatency) {
      out.push({ name: 'venue_latency_ms', labels: { venue }, value: v, type: 'gauge' });
    }
    for (const [venue, n] of this.venueOrders) {
      out.push({ name: 'venue_orders_total', labels: { venue }, value: n, type: 'counter' });
    }
    for (const [symbol, p] of this.positions) {
      out.push({ name: 'symbol_position', labels: { symbol }, value: p, type: 'gauge' });
    }
    for (const [symbol, c] of this.correlations) {
      out.push({ name: 'symbol_correlation', labels: { symbol }, value: c, type: 'gauge' });
    }
    return out;
  }

  private writeTelemetry(): void {
    const lineage = this.ensureInitialized();
    const snapshot: TelemetrySnapshot = {
      ts: new Date(this.opts.now()).toISOString(),
      metrics: { ...this.metrics },
      samples: this.samples(),
      labels: { model: lineage.model, generation: this.activeGeneration().id },
    };
    writeJsonAtomic(this.paths.telemetry, snapshot);
  }

  // ---- activity -------------------------------------------------------------------------------------

  private activityStep(): void {
    const rings = this.rings!;
    for (const task of [...this.openTasks.values()]) {
      if (task.status === 'pending') {
        task.status = 'running';
      } else {
        const ok = this.rng.chance(0.85);
        task.status = ok ? 'completed' : 'failed';
        task.result = ok
          ? this.taskResult(task.type)
          : `error: ${this.rng.pick(['upstream timeout', 'schema mismatch in venue feed', 'worker out of memory'])}`;
        this.openTasks.delete(task.id);
      }
      this.writeActivity(rings.tasks, `${task.id}.json`, task, false);
    }
    if (this.rng.chance(0.45)) {
      const task: TaskRecord = {
        id: `task-${String(rings.tasks.next).padStart(6, '0')}`,
        type: this.rng.pick(TASK_TYPES),
        status: 'pending',
        result: null,
      };
      rings.tasks.next += 1;
      this.openTasks.set(task.id, task);
      this.writeActivity(rings.tasks, `${task.id}.json`, task, true);
    }
    if (this.rng.chance(0.3)) {
      const model = this.rng.pick(LLM_MODELS);
      const n = rings.llm.next;
      rings.llm.next += 1;
      this.writeActivity(rings.llm, `${model}-${String(n).padStart(6, '0')}.json`, this.llmExchange(model), true);
    }
    if (this.rng.chance(0.15)) {
      const record: PropagationRecord = {
        subsystem: this.rng.pick(SUBSYSTEMS),
        pattern: this.rng.pick(PATTERNS),
        status: this.rng.pick(PROPAGATION_STATUSES),
      };
      const n = rings.propagation.next;
      rings.propagation.next += 1;
      this.writeActivity(rings.propagation, `${String(n).padStart(6, '0')}.json`, record, true);
    }
  }

  private taskResult(type: TaskType): string {
    const gen = this.activeGeneration().id;
    switch (type) {
      case 'analyze':
        return `analyzed ${this.rng.int(200, 5000)} fills for ${gen}: slippage ${this.rng.range(0.2, 3).toFixed(2)} bps`;
      case 'refactor':
        return `feature pipeline stage refactored; ${this.rng.int(10, 400)} lines removed`;
      case 'document':
        return `runbook updated for ${gen}`;
      case 'test':
        return `${this.rng.int(20, 120)} backtests passed, ${this.rng.int(0, 3)} skipped`;
      case 'process':
        return `processed ${this.rng.int(5, 80)} market data files`;
    }
  }

  private llmExchange(model: string): LlmRecord {
    const gen = this.activeGeneration().id;
    const drift = this.metrics.drift_score;
    switch (this.rng.int(0, 2)) {
      case 0:
        return {
          model,
          prompt: `Summarize the last hour of fills for ${gen} and flag anomalies.`,
          response: `Fill ratio ${this.metrics.order_fill_ratio.toFixed(2)}; latency spikes on ${this.rng.pick(VENUES)}. Nothing else unusual.`,
        };
      case 1:
        return {
          model,
          prompt: `Explain the drift score ${drift.toFixed(2)} of ${this.ensureInitialized().model}.`,
          response:
            drift > 0.5
              ? 'Volatility features have moved well outside the training range; a retrain is recommended.'
              : 'Feature distributions are close to the training window; no action needed.',
        };
      default: {
        const candidate = this.canaryGeneration() ?? this.ensureInitialized().generations.at(-1)!;
        return {
          model,
          prompt: `Compare ${candidate.id} against ${gen} on sharpe and drawdown.`,
          response: `${candidate.id}: sharpe ${candidate.kpis.sharpe}, drawdown ${candidate.kpis.max_drawdown}; ${gen}: sharpe ${this.activeGeneration().kpis.sharpe}.`,
        };
      }
    }
  }

  private writeActivity(ring: ActivityRing, name: string, record: object, isNew: boolean): void {
    // With a tiny retention an open task can be pruned before it finishes; do not resurrect it untracked.
    if (!isNew && !ring.files.includes(name)) return;
    writeJsonAtomic(path.join(ring.dir, name), record);
    if (!isNew) return;
    ring.files.push(name);
    while (ring.files.length > this.opts.activityRetention) {
      fs.rmSync(path.join(ring.dir, ring.files.shift()!), { force: true });
    }
  }

  // ---- start-up -------------------------------------------------------------------------------------

  /** Resumes the workspace's lineage when there is one, otherwise writes a small history to start from. */
  private ensureInitialized(): LineageIndex {
    if (this.lineage) return this.lineage;
    let text: string | undefined;
    try {
      text = fs.readFileSync(this.paths.lineage, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.rings = {
      tasks: this.scanRing(this.paths.tasks, /^task-(\d+)\.json$/),
      llm: this.scanRing(this.paths.llm, /-(\d+)\.json$/),
      propagation: this.scanRing(this.paths.propagation, /^(\d+)\.json$/),
    };
    if (text !== undefined) {
      const lineage = parseLineageIndex(this.paths.lineage, text);
      this.lineage = lineage;
      const numbers = lineage.generations.map((g) => Number(/(\d+)$/.exec(g.id)?.[1] ?? 0));
      this.nextGeneration = Math.max(0, ...numbers) + 1;
      this.resumeTelemetry();
    } else {
      this.lineage = this.bootstrapLineage();
      this.writeLineage();
    }
    this.writeTelemetry();
    return this.lineage;
  }

  private bootstrapLineage(): LineageIndex {
    const base: Kpis = {
      sharpe: round(this.rng.range(0.9, 1.3), 4),
      hit_rate: round(this.rng.range(0.52, 0.56), 4),
      max_drawdown: round(this.rng.range(0.08, 0.14), 4),
      calibration_error: round(this.rng.range(0.03, 0.06), 4),
      turnover: round(this.rng.range(1.5, 3.5), 4),
    };
    const first = this.newGeneration(null, base, 'retired', 'initial training run');
    const failed = this.newGeneration(
      first,
      { ...this.mutateKpis(base), max_drawdown: round(this.rng.range(0.26, 0.34), 4) },
      'failed',
      'failed evaluation: drawdown above the 25% limit'
    );
    const active = this.newGeneration(first, this.mutateKpis(base), 'active', 'retrained on an extended window');
    first.notes += `; retired: ${active.id} became active`;
    return {
      model: this.opts.model,
      generations: [first, failed, active],
      active_history: [first.id, active.id],
    };
  }

  /** Keeps the PnL curve and drift continuous across a restart instead of jumping back to zero. */
  private resumeTelemetry(): void {
    try {
      const snap = JSON.parse(fs.readFileSync(this.paths.telemetry, 'utf8')) as Partial<TelemetrySnapshot>;
      const m = snap.metrics;
      if (m && typeof m.pnl_realized === 'number') {
        this.metrics.pnl_realized = m.pnl_realized;
        this.peakEquity = m.pnl_realized + (typeof m.pnl_drawdown === 'number' ? m.pnl_drawdown : 0);
      }
      if (m && typeof m.drift_score === 'number') this.metrics.drift_score = clamp(m.drift_score, 0, 1);
    } catch {
      // No usable snapshot: start the counters afresh; telemetry is not the system of record.
    }
  }

  private scanRing(dir: string, pattern: RegExp): ActivityRing {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir).filter((n) => pattern.test(n));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const num = (n: string): number => Number(pattern.exec(n)?.[1] ?? 0);
    names.sort((a, b) => num(a) - num(b));
    return { dir, files: names, next: names.length > 0 ? num(names[names.length - 1]!) + 1 : 1 };
  }
}
