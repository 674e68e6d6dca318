// Labs by their state files, for the commands that work on labs other than their own (lab list,
// down, clean, exec, shell): reading them, telling live from kept from dead, and taking one over
// to tear it down. The state file format and the teardown stay in backends/.
import { guardedRunner } from '../backends/interrupt.js';
import { forkingRunner } from '../backends/forker.js';
import type { Runner } from '../backends/runner.js';
import {
  defaultStateDir, findLab, isOwnerAlive, keptVmOf, livenessOf, namespaceInode, readStates, sameNamespace, StateFile, usedByOthers,
  type Liveness, type RunState, type StateEntry,
} from '../backends/state.js';
import { teardownRecorded, type TeardownReport } from '../backends/teardown.js';
import { tearDownVm } from '../backends/vm/kept.js';

export type { Liveness, RunState, StateEntry, TeardownReport };
/** Pure functions of a state file's contents (and of whether its owner process lives). */
export { findLab, isOwnerAlive, livenessOf };

/** Every lab with a state file in `dir` (the default: LAB_STATE_DIR or /run/netns-lab). */
export const readLabs = (dir: string = defaultStateDir()): StateEntry[] => readStates(dir);

/** "dev:inode" of a namespace's handle, undefined when there is no namespace of that name. */
export const namespaceIdentity = (netns: string): string | undefined => namespaceInode(netns);
/** Whether a namespace's identity now is the one recorded when lab made it (an older record: its inode). */
export { sameNamespace };

/** Paths that another lab that is alive or kept uses too (usedByOthers): shared, so left in place. */
export const sharedWithOthers = (runId: string, dir: string = defaultStateDir()) => usedByOthers(runId, dir);

export interface LabTeardown {
  report: TeardownReport;
  /** Something could not be removed: it stays recorded in the state file at `path`. */
  remains: boolean;
  path: string;
}

export interface TeardownOptions {
  /** The state directory whose other labs may share a mount or tracefs path (default: the lab's). */
  dir?: string;
  /**
   * Called on SIGINT/SIGTERM/SIGHUP while the teardown runs, which finishes first (half a lab
   * is worse than the second it takes); without it signals act as usual.
   */
  holdSignals?: (sig: NodeJS.Signals) => void;
  runner?: Runner;
  /**
   * A kept VM lab: ask its guest to power off first (lab down); without, its QEMU is killed at
   * once (lab clean of a lab whose QEMU or builder is gone).
   */
  graceful?: boolean;
}

/**
 * Takes the lab over (this process becomes its owner, status tearing-down, so a concurrent
 * `lab down` or `lab clean` leaves it be), removes what its state file records (only the very
 * namespaces and processes it made; mounts and tracefs paths another live lab records stay), and
 * removes the state file when nothing remains.
 */
export const tearDownLab = async (entry: StateEntry, opts: TeardownOptions = {}): Promise<LabTeardown> => {
  const hold = opts.holdSignals;
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const owned = StateFile.adopt(entry.path, entry.state, 'tearing-down');
  if (hold) for (const sig of signals) process.on(sig, hold);
  try {
    // A kept VM lab: its QEMU and run directory first (the guest's namespaces go with the VM).
    const vm = keptVmOf(entry.state);
    const vmReport = vm ? await tearDownVm(vm, entry.state.runId, { graceful: opts.graceful ?? false }) : undefined;
    if (vm && vmReport?.failed.length === 0) owned.releaseVm();
    const recorded = await teardownRecorded(owned, {
      runner: guardedRunner(opts.runner ?? forkingRunner(), new AbortController().signal),
      sharedElsewhere: sharedWithOthers(entry.state.runId, opts.dir ?? defaultStateDir()),
    });
    const report: TeardownReport = vmReport
      ? { removed: [...vmReport.removed, ...recorded.removed], skipped: [...vmReport.skipped, ...recorded.skipped], failed: [...vmReport.failed, ...recorded.failed] }
      : recorded;
    const remains = owned.ownsAnything;
    if (!remains) owned.close();
    return { report, remains, path: owned.path };
  } finally {
    if (hold) for (const sig of signals) process.off(sig, hold);
  }
};

/** A lab none of whose namespaces exists any more: only its state file goes. */
export const forgetLab = (entry: StateEntry): void => StateFile.adopt(entry.path, entry.state, 'tearing-down').close();
