// How far a VM run got, as it goes: what the VM backend reports through VmRunOptions.onStage
// (src/backends/vm/run.ts, drive.ts) and `lab bench --only vm` turns into its stages.
import type { CaseStatus } from './result.js';

/**
 * The stages of a driven VM run, in the order they happen: QEMU started, the guest's /init is
 * alive (the kernel booted), the host root is mounted in the guest, the job script starts perl
 * with the guest runner, the guest runner said hello, lab's first commands in the guest were
 * answered, a case finished (one event per case), lab's host side is done (the guest then powers
 * off).
 */
export type VmStageName = 'qemu' | 'alive' | 'root' | 'runner-start' | 'runner' | 'first-command' | 'case' | 'done';

export interface VmStageEvent {
  stage: VmStageName;
  /** ms since QEMU started (the clock of BootResult.marks); 0 for `qemu`. */
  atMs: number;
  /** `case`: "scenario › case", as the progress line names it. */
  name?: string;
  /** `case`: its own duration as the run measured it (cases of one run may overlap). */
  durationMs?: number;
  /** `case`: its verdict. */
  status?: CaseStatus;
}
