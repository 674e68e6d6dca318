// How far a driven VM run got, from what its processes say (pure): the guest's console (/init's
// markers), lab's host side's stage lines (src/cli/vm-entry.ts) and its progress lines (one per
// finished case, src/cli/progress.ts). drive.ts hands the events to VmRunOptions.onStage as
// they come.
import type { CaseStatus } from '../../types/result.js';
import type { VmStageEvent } from '../../types/vm.js';
import { MARK, RUNNER_MARK } from './guest.js';

/** The stage lines of lab's host side (src/cli/vm-entry.ts STAGE_LINE): `lab-vm-stage NAME MS`. */
export const STAGE_LINE = 'lab-vm-stage ';

/** The console line of a stage the guest reached (/init's markers, the job's before perl starts), or undefined. */
export const stageOfConsole = (line: string): 'alive' | 'root' | 'runner-start' | undefined =>
  line.includes(MARK.alive) ? 'alive' : line.startsWith(MARK.root) ? 'root' : line.startsWith(RUNNER_MARK) ? 'runner-start' : undefined;

/**
 * A stage line of lab's host side as an event at `atMs`, when it arrived: `hello` is the guest
 * runner alive, `first-command` its first answers. (The line's MS counts from that process's own
 * start, a sandbox and a Node start after QEMU's: the arrival is the better clock.)
 */
export const stageOfEntryLine = (line: string, atMs: number): VmStageEvent | undefined => {
  if (!line.startsWith(STAGE_LINE)) return undefined;
  const name = line.slice(STAGE_LINE.length).split(' ')[0];
  const stage = name === 'hello' ? 'runner' : name === 'first-command' ? 'first-command' : undefined;
  return stage ? { stage, atMs } : undefined;
};

const STATUS: Readonly<Record<string, CaseStatus>> = { '✓': 'pass', '✗': 'fail', '-': 'skip', '!': 'error' };
/** `[i/n] MARK scenario › case (N ms)`: progressLine in src/cli/progress.ts. */
const PROGRESS = /^\[\d+\/\d+\] (\S) (.*) \((\d+) ms\)$/;

/** The case a progress line says finished, at `atMs`; undefined for any other line. */
export const caseOfProgress = (line: string, atMs: number): VmStageEvent | undefined => {
  const m = PROGRESS.exec(line.trim());
  const status = m ? STATUS[m[1] as string] : undefined;
  if (!m || !status) return undefined;
  return { stage: 'case', atMs, name: m[2] as string, durationMs: Number(m[3]), status };
};
