import fs from 'node:fs';
import path from 'node:path';
import type { Part, SidecarContext } from '../context';
import type { Counter, Gauge } from '../metrics/metrics-registry';
import type { Guardian } from '../guardian/guardian';
import type { Scheduler } from '../scheduler/scheduler';
import type { AuditLog } from '../audit/audit-log';
import type { PolicyDocument } from './policy-document';
import {
  type PolicyProblem,
  type PolicyValidation,
  type ValidationContext,
  policyVersionOf,
  tooLargeProblem,
  validatePolicyText,
} from './policy-validator';

/** Thrown at start-up when the configured policy file cannot be used: the sidecar does not start without it. */
export class PolicyLoadError extends Error {
  override name = 'PolicyLoadError';
  constructor(
    readonly file: string,
    readonly problems: PolicyProblem[]
  ) {
    super(
      `policy file ${file} is not valid:\n${problems
        .slice(0, 50)
        .map((p) => `  - ${p.path}: ${p.message}`)
        .join('\n')}`
    );
  }
}

export interface PolicySource {
  kind: 'file' | 'config';
  /** The policy file (absolute), or null for the inline config. */
  path: string | null;
}

/** Thrown when policy_apply cannot write the policy file (none configured, or the write failed). */
export class PolicyWriteError extends Error {
  override name = 'PolicyWriteError';
}

/** Who changed the policy through the control plane (policy_apply), recorded with the load. */
export interface PolicyChanger {
  actor: string;
  reason: string;
  action_id: string;
}

/** The policy running now. */
export interface RunningPolicy {
  version: string;
  source: PolicySource;
  loaded_at: string;
  document: PolicyDocument;
  /** The file's text as loaded (null for the inline config). */
  text: string | null;
  warnings: PolicyProblem[];
}

/** The last change that was refused, kept until a valid one is loaded. */
export interface PolicyError {
  at: string;
  version: string;
  problems: PolicyProblem[];
}

/** Problems in a `policy.rejected` event at most (the log and the read route carry them all). */
const EVENT_PROBLEMS_MAX = 100;
/** A safety net for file changes the directory watch misses (the folder itself replaced, …). */
const POLL_MS = 2000;

export interface PolicyDeps {
  guardian: Guardian;
  scheduler: Scheduler;
  audit: AuditLog;
  /** Action names a playbook or policy may run. */
  actions: () => readonly string[];
}

/**
 * The guardian's rules and playbooks and the scheduler's policies, from the policy file (or the inline
 * config). The file is watched: a valid change replaces both sets in one synchronous step (no tick sees
 * half of it), is audited and emitted as `policy.loaded` with its version (a content hash); an invalid
 * one keeps the running policy and is reported with every problem and its path (`policy.rejected`,
 * `lookout_policy_problems`, the log). A file that is invalid at start-up stops the start.
 */
export class PolicyService implements Part {
  readonly name = 'policy';
  private running: RunningPolicy;
  private lastError: PolicyError | null = null;
  private watcher: fs.FSWatcher | null = null;
  private poll: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private lastStat: string | null = null;
  private readonly file: string | null;
  private readonly reloads: Counter<'outcome'>;
  private readonly problemsGauge: Gauge;
  private readonly info: Gauge<'version' | 'source'>;

  constructor(
    private readonly ctx: SidecarContext,
    private readonly deps: PolicyDeps
  ) {
    const cfg = ctx.config;
    this.file = cfg.policy.file ? path.resolve(cfg.policy.file) : null;
    const document: PolicyDocument = {
      guardian: { rules: cfg.guardian.rules, playbooks: cfg.guardian.playbooks },
      scheduler: { policies: cfg.scheduler.policies },
    };
    this.running = {
      version: policyVersionOf(JSON.stringify(document)),
      source: { kind: 'config', path: null },
      loaded_at: new Date().toISOString(),
      document,
      text: null,
      warnings: [],
    };
    // Decisions record the policy version they were made under, the inline config's too.
    deps.guardian.setPolicy(deps.guardian.policy(), this.running.version);
    this.reloads = ctx.metrics.counter({
      name: 'lookout_policy_reloads_total',
      help: 'Policy file loads, by outcome (applied, rejected, unchanged)',
      labelNames: ['outcome'] as const,
    });
    for (const outcome of ['applied', 'rejected', 'unchanged']) this.reloads.inc({ outcome }, 0);
    this.problemsGauge = ctx.metrics.gauge({
      name: 'lookout_policy_problems',
      help: 'Problems in the policy file as last read (0 when it is the running policy)',
    });
    this.problemsGauge.set(0);
    this.info = ctx.metrics.gauge({
      name: 'lookout_policy_info',
      help: 'Always 1; labels carry the running policy version (content hash) and its source (file or config)',
      labelNames: ['version', 'source'] as const,
    });
    this.setInfo();
    ctx.status.section('policy', () => ({
      version: this.running.version,
      source: this.running.source,
      loaded_at: this.running.loaded_at,
      guardian_rules: this.running.document.guardian.rules.length,
      scheduler_policies: this.running.document.scheduler.policies.length,
      last_error: this.lastError ? { at: this.lastError.at, problems: this.lastError.problems.length } : null,
    }));
  }

  /** What validation needs to know about this sidecar: size cap, actions, telemetry seen so far. */
  validationContext(): ValidationContext {
    return {
      maxBytes: this.ctx.config.policy.max_bytes,
      actions: this.deps.actions(),
      reported: () => {
        const out = new Map<string, Set<string>>();
        for (const [name, fam] of this.ctx.telemetry.store.families) out.set(name, new Set(fam.labelNames));
        return out;
      },
    };
  }

  /** Dry run: what a policy text would be, without touching the running one. */
  validate(text: string): PolicyValidation {
    return validatePolicyText(text, this.validationContext());
  }

  current(): { running: RunningPolicy; last_error: PolicyError | null } {
    return { running: this.running, last_error: this.lastError };
  }

  start(): void {
    if (!this.file) return;
    const got = this.read();
    if (!Buffer.isBuffer(got)) throw new PolicyLoadError(this.file, got.problems);
    const v = validatePolicyText(got, this.validationContext());
    if (!v.ok) throw new PolicyLoadError(this.file, v.problems);
    this.apply(v.policy.version, v.policy.document, got.toString('utf8'), v.policy.warnings, 'start');
    if (this.ctx.config.policy.watch) this.watch();
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.poll) clearInterval(this.poll);
    if (this.debounce) clearTimeout(this.debounce);
    this.poll = null;
    this.debounce = null;
  }

  /**
   * Reads the file again and applies it when valid and changed. Returns what happened (tests and the
   * watcher call it).
   */
  reload(trigger = 'watch', by: PolicyChanger | null = null): 'applied' | 'rejected' | 'unchanged' | 'no_file' {
    if (!this.file) return 'no_file';
    const bytes = this.read();
    if (!Buffer.isBuffer(bytes)) {
      this.reject(bytes.version, bytes.problems);
      return 'rejected';
    }
    const version = policyVersionOf(bytes);
    if (version === this.running.version && this.running.source.kind === 'file') {
      this.reloads.inc({ outcome: 'unchanged' });
      if (this.lastError) this.clearError();
      return 'unchanged';
    }
    const v = validatePolicyText(bytes, this.validationContext());
    if (!v.ok) {
      this.reject(v.version, v.problems);
      return 'rejected';
    }
    this.apply(v.policy.version, v.policy.document, bytes.toString('utf8'), v.policy.warnings, trigger, by);
    return 'applied';
  }

  /** The file's bytes, or why they cannot be used (missing, unreadable, over the size cap). */
  private read(): Buffer | { version: string; problems: PolicyProblem[] } {
    const file = this.file!;
    try {
      const st = fs.statSync(file);
      // Refused unread above the cap: a 10 MB mistake costs a stat, not a 10 MB read and parse.
      if (st.size > this.ctx.config.policy.max_bytes) {
        return { version: `size:${st.size}`, problems: [tooLargeProblem(st.size, this.ctx.config.policy.max_bytes)] };
      }
      return fs.readFileSync(file);
    } catch (err) {
      return {
        version: policyVersionOf(''),
        problems: [
          {
            path: '(file)',
            message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
            code: 'unreadable',
          },
        ],
      };
    }
  }

  /**
   * Writes a policy text to the policy file atomically (a temporary file in the same folder, fsync,
   * rename) and loads it now, as the file watcher would a moment later (policy_apply's executor). The
   * text must validate; the running policy is kept when it does not.
   */
  writeAndLoad(text: string, by: PolicyChanger): { version: string; previous: string; outcome: string; file: string } {
    const file = this.file;
    if (!file) throw new PolicyWriteError('the running policy is the inline config: there is no policy.file to write');
    const v = this.validate(text);
    if (!v.ok) throw new PolicyLoadError(file, v.problems);
    const previous = this.running.version;
    const dir = path.dirname(file);
    const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
    let mode = 0o644;
    try {
      mode = fs.statSync(file).mode & 0o777;
    } catch {
      // No file yet: a new one gets the usual mode.
    }
    try {
      const fd = fs.openSync(tmp, 'wx', mode);
      try {
        fs.writeSync(fd, text);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw new PolicyWriteError(`cannot write ${file}: ${(err as Error).message}`, { cause: err });
    }
    try {
      // The rename is durable once the folder is synced too.
      const dfd = fs.openSync(dir, 'r');
      fs.fsyncSync(dfd);
      fs.closeSync(dfd);
    } catch {
      // Not every file system lets a folder be opened for fsync; the rename itself is atomic.
    }
    const outcome = this.reload('apply', by);
    return { version: this.running.version, previous, outcome, file };
  }

  private apply(
    version: string,
    document: PolicyDocument,
    text: string,
    warnings: PolicyProblem[],
    trigger: string,
    by: PolicyChanger | null = null
  ): void {
    const previous = this.running.version;
    // One synchronous step: guardian and scheduler ticks run on the same thread, so none sees half.
    this.deps.guardian.setPolicy({ rules: document.guardian.rules, playbooks: document.guardian.playbooks }, version);
    this.deps.scheduler.setPolicies(document.scheduler.policies);
    this.running = {
      version,
      source: { kind: 'file', path: this.file },
      loaded_at: new Date().toISOString(),
      document,
      text,
      warnings,
    };
    this.lastError = null;
    this.problemsGauge.set(0);
    this.setInfo();
    this.reloads.inc({ outcome: 'applied' });
    const summary = {
      version,
      previous_version: previous,
      source: this.file,
      trigger,
      guardian_rules: document.guardian.rules.length,
      playbooks: Object.keys(document.guardian.playbooks).length,
      scheduler_policies: document.scheduler.policies.length,
      warnings,
    };
    this.ctx.events.append({
      source: 'guardian',
      kind: 'policy.loaded',
      severity: 'info',
      subject: 'policy',
      actor: by?.actor ?? 'policy-file',
      data: { ...summary, ...(by ? { action_id: by.action_id, reason: by.reason } : {}) },
    });
    this.audit(200, `applied ${version}`, trigger, by);
    this.ctx.log.info(
      { version, previous_version: previous, file: this.file, warnings: warnings.length },
      'policy loaded'
    );
    if (warnings.length) this.ctx.log.warn({ version, warnings }, 'policy loaded with warnings');
  }

  private reject(version: string, problems: PolicyProblem[]): void {
    this.lastError = { at: new Date().toISOString(), version, problems };
    this.problemsGauge.set(problems.length);
    this.reloads.inc({ outcome: 'rejected' });
    this.ctx.events.append({
      source: 'guardian',
      kind: 'policy.rejected',
      severity: 'warning',
      subject: 'policy',
      actor: 'policy-file',
      data: {
        version,
        running_version: this.running.version,
        source: this.file,
        problems: problems.slice(0, EVENT_PROBLEMS_MAX),
        problem_count: problems.length,
      },
    });
    this.audit(400, `rejected: ${problems.length} problem(s)`, 'watch');
    this.ctx.log.error(
      { file: this.file, version, running_version: this.running.version, problems },
      'policy file refused; the running policy is kept'
    );
  }

  private clearError(): void {
    this.lastError = null;
    this.problemsGauge.set(0);
  }

  private audit(status: number, result: string, trigger: string, by: PolicyChanger | null = null): void {
    try {
      this.deps.audit.record({
        ts: new Date().toISOString(),
        actor: by?.actor ?? 'policy-file',
        token: null,
        token_role: null,
        grafana_user: null,
        grafana_org_id: null,
        grafana_org_role: null,
        role: null,
        method: 'FILE',
        path: this.file ?? '',
        route: 'policy.file',
        action: 'policy.reload',
        reason: by
          ? `policy_apply ${by.action_id}: ${by.reason}`
          : `policy file ${trigger === 'start' ? 'loaded at start-up' : 'changed'}`,
        status,
        result,
        request_id: null,
      });
    } catch (err) {
      this.ctx.log.error({ err }, 'audit log write failed for a policy reload');
    }
  }

  private setInfo(): void {
    this.info.reset();
    this.info.set({ version: this.running.version, source: this.running.source.kind }, 1);
  }

  private statKey(): string | null {
    try {
      const st = fs.statSync(this.file!);
      return `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return null;
    }
  }

  private schedule(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.lastStat = this.statKey();
      try {
        this.reload('watch');
      } catch (err) {
        this.ctx.log.error({ err }, 'policy reload failed');
      }
    }, this.ctx.config.policy.debounce_ms);
    this.debounce.unref();
  }

  /**
   * Watches the file's folder (an editor or `mv` replaces the file, which a watch on the file itself
   * would lose), plus a cheap stat poll in case the folder watch is lost.
   */
  private watch(): void {
    const file = this.file!;
    const dir = path.dirname(file);
    const base = path.basename(file);
    this.lastStat = this.statKey();
    try {
      this.watcher = fs.watch(dir, { persistent: false }, (_type, name) => {
        if (name === null || name === base) this.schedule();
      });
      this.watcher.on('error', (err) => this.ctx.log.warn({ err, dir }, 'policy folder watch failed; polling'));
    } catch (err) {
      this.ctx.log.warn({ err, dir }, 'cannot watch the policy folder; polling');
    }
    this.poll = setInterval(() => {
      const key = this.statKey();
      if (key !== this.lastStat && !this.debounce) this.schedule();
    }, POLL_MS);
    this.poll.unref();
  }
}
