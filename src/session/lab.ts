// The lab session: one place that owns the signal trap, the guarded runner, the state file, the
// host backend and the teardown on every path. `lab run`, `lab up` and `lab bench` are its callers:
//
//   withLab(options, async (lab) => { ...build and probe with lab.backend, lab.runner... })
//
// - returns what the body returned, after removing whatever the state file still records (a kept
//   lab, `lab.keep`, stays), and closing the state file when nothing is left;
// - rethrows what the body threw, after the same teardown;
// - on SIGINT/SIGTERM/SIGHUP: the runner refuses to build, the backend stops the cases, the body
//   ends, everything recorded is removed, and withLab throws `Interrupted` (src/cli: 128+signal);
//   a second signal removes what is recorded at once and calls `options.exit`.
import { guardedRunner, trapSignals, type GuardedRunner } from '../backends/interrupt.js';
import { HostBackend, type BuildHooks } from '../backends/host.js';
import { forkingRunner } from '../backends/forker.js';
import type { Runner } from '../backends/runner.js';
import { defaultStateDir, StateFile, type KeptLab, type LabKind, type LabStatus } from '../backends/state.js';
import { teardownRecorded } from '../backends/teardown.js';
import { Interrupted } from '../errors.js';
import { finishInterrupted, ownTeardown, stillRecorded, trapLabSignals, type Say, type TeardownSeams, type TrappedLab } from './signals.js';

export interface Lab {
  /** Refuses to build anything once the lab is interrupted; knows what is in flight. */
  readonly runner: GuardedRunner;
  /** The unguarded runner, for child processes the caller stops itself on `signal` (bench: mn, lab run). */
  readonly raw: Runner;
  readonly state: StateFile;
  readonly backend: HostBackend;
  /** Aborted by the first signal. */
  readonly signal: AbortSignal;
  /** The first signal caught, if any. */
  readonly interrupted: NodeJS.Signals | undefined;
  /**
   * Records the lab as kept (`lab up`): withLab leaves it standing, and a later signal no longer
   * tears it down. False, and nothing kept, once interrupted.
   */
  keep(lab: KeptLab): boolean;
}

export interface LabOptions {
  /** What the state file says the lab is for: the scenario files, or e.g. `lab bench`. */
  scenarios: string[];
  /** `lab up` starts as kind 'kept', status 'building' (see state.ts); a run by default. */
  kind?: LabKind;
  status?: LabStatus;
  /**
   * The lab's id, when it must be this one (a kept VM lab's inner `lab up`: the guest's
   * namespaces then carry the id the user sees); a fresh one by default.
   */
  runId?: string;
  /** Where the session's messages go (interrupt, teardown, build progress): stderr. */
  say: Say;
  /** Build progress of large cases through `say` (lab run). */
  progress?: boolean;
  /**
   * Called after a second signal's forced teardown with the first signal caught: the CLI ends
   * the process there with that signal's exit code. Nothing else in the session exits.
   */
  exit: (signal: NodeJS.Signals) => void;
  /** Seams for tests: the process runner, the state directory, the backend, the signal trap, the teardown's view of the system. */
  runner?: Runner;
  stateDir?: string;
  backend?: (runner: Runner, state: StateFile, hooks: BuildHooks) => HostBackend;
  trap?: typeof trapSignals;
  teardown?: TeardownSeams;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export const withLab = async <T>(options: LabOptions, body: (lab: Lab) => Promise<T>): Promise<T> => {
  const { say } = options;
  const trapped: TrappedLab = {};
  const seams = options.teardown ?? {};
  const trap = trapLabSignals(trapped, say, options.exit, options.trap, seams);
  const raw = options.runner ?? forkingRunner();
  const runner = (trapped.runner = guardedRunner(raw, trap.signal));
  let state: StateFile;
  try {
    const init = {
      pid: process.pid,
      scenarios: options.scenarios,
      ...(options.kind !== undefined ? { kind: options.kind } : {}),
      ...(options.status !== undefined ? { status: options.status } : {}),
    };
    const dir = options.stateDir ?? defaultStateDir();
    state = trapped.state =
      options.runId !== undefined ? new StateFile(dir, { ...init, runId: options.runId, prefix: `lab-${options.runId}` }, true) : StateFile.create(dir, init);
  } catch (err) {
    trap.release();
    throw err;
  }
  const hooks: BuildHooks = { signal: trap.signal, ...(options.progress ? { progress: (line: string) => say(`${line}\n`) } : {}) };
  const backend = options.backend ? options.backend(runner, state, hooks) : new HostBackend(runner, state, undefined, hooks);
  const lab: Lab = {
    runner,
    raw,
    state,
    backend,
    signal: trap.signal,
    get interrupted() {
      return trap.caught;
    },
    keep(kept) {
      if (trap.caught) return false;
      state.keep(kept);
      trapped.kept = true;
      return true;
    },
  };
  try {
    let outcome: { value: T } | { error: unknown };
    try {
      outcome = { value: await body(lab) };
    } catch (error) {
      outcome = { error };
    }
    // Cases delete their namespaces together at the end (see HostBackend.flush). A signal in the
    // middle of it is an interrupt like any other: its teardown below deletes what is left.
    if (!trap.caught && !trapped.kept) {
      await backend.flush().catch((error: unknown) => {
        if (!trap.caught && !('error' in outcome)) outcome = { error };
      });
    }
    if (trap.caught && !trapped.kept) {
      // The exit code says which signal ended the lab, even when the teardown fails.
      await finishInterrupted(state, runner, say, seams).catch((err: unknown) =>
        say(`could not finish the teardown: ${message(err)}; run \`lab clean\`\n`),
      );
      throw new Interrupted(trap.caught);
    }
    if (!trapped.kept) {
      // What the body did not take down itself (a failed build, the bench's quiet namespace).
      if (state.ownsAnything) {
        const report = await teardownRecorded(state, { ...ownTeardown(state, seams), runner });
        for (const f of report.failed) say(`could not remove ${f}\n`);
      }
      if (!state.ownsAnything) state.close();
      else say(stillRecorded(state));
    }
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  } finally {
    trap.release();
  }
};
