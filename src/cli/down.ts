import { guardedRunner } from '../backends/interrupt.js';
import { forkingRunner } from '../backends/forker.js';
import { defaultStateDir, findLab, isOwnerAlive, livenessOf, readStates, StateFile, type StateEntry } from '../backends/state.js';
import { teardownRecorded } from '../backends/teardown.js';
import { UsageError } from '../errors.js';
import type { Output } from './io.js';
import { resolveLab } from './labs.js';

export interface DownOptions {
  labs: string[];
  /** Every kept lab. */
  all: boolean;
}

/**
 * Tears one lab down. A lab whose owner process is alive (a running `lab run`, a `lab up` still
 * building) is refused: stopping that process tears it down.
 */
const downOne = async (entry: StateEntry, io: Output): Promise<boolean> => {
  const s = entry.state;
  if (livenessOf(s) === 'live' && s.pid !== process.pid) {
    throw new UsageError(
      `lab ${s.runId} belongs to process ${s.pid}, which is still ${s.status ?? 'running'}; stop it (kill -TERM ${s.pid}) and it tears the lab down`,
    );
  }
  const state = StateFile.adopt(entry.path, s, 'tearing-down');
  // SIGINT/SIGTERM must not leave half a lab: teardown is short, so finish it first.
  const hold = (sig: NodeJS.Signals): void => void io.err(`${sig}: finishing the teardown of lab ${s.runId} first\n`);
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of signals) process.on(sig, hold);
  try {
    const report = await teardownRecorded(state, { runner: guardedRunner(forkingRunner(), new AbortController().signal), sharedElsewhere: sharedWithOthers(s.runId) });
    for (const r of report.removed) io.out(`  removed ${r}\n`);
    for (const r of report.skipped) io.out(`  skipped ${r}\n`);
    for (const r of report.failed) io.err(`  could not remove ${r}\n`);
    if (state.ownsAnything) {
      io.err(`lab ${s.runId}: some resources remain, recorded in ${state.path}; lab down ${s.runId} retries\n`);
      return false;
    }
    state.close();
    io.out(`lab ${s.runId} is down\n`);
    return true;
  } finally {
    for (const sig of signals) process.off(sig, hold);
  }
};

/** Paths that another lab that is alive or kept records too: shared, so left in place. */
export const sharedWithOthers = (runId: string, dir: string = defaultStateDir()) => (path: string): boolean =>
  readStates(dir).some(
    ({ state: o }) =>
      o.runId !== runId &&
      livenessOf(o, isOwnerAlive) !== 'dead' &&
      [...(o.mounts ?? []).map((m) => m.target), ...(o.tracefs ?? []).map((t) => t.path)].includes(path),
  );

/** `lab down LAB...` / `lab down --all`: exit 0 when everything is gone, 1 when something remains. */
export const downCommand = async (opts: DownOptions, io: Output): Promise<number> => {
  if (opts.all && opts.labs.length) throw new UsageError('name labs or give --all, not both');
  if (!opts.all && opts.labs.length === 0) throw new UsageError('name the lab to tear down (lab list shows them), or give --all');
  // A lab that is already gone is down: a note, and exit 0, so that scripts may say it twice.
  const states = opts.all ? [] : readStates(defaultStateDir());
  const gone = opts.labs.filter((id) => findLab(states, id) === undefined);
  for (const id of gone) io.err(`lab ${id}: no such lab (already down, or never up); nothing to do\n`);
  const entries = opts.all
    ? readStates(defaultStateDir()).filter((e) => livenessOf(e.state, isOwnerAlive) === 'kept')
    : opts.labs.filter((id) => !gone.includes(id)).map((id) => resolveLab(id));
  if (opts.all && entries.length === 0) io.out('no kept labs\n');
  let ok = true;
  for (const entry of entries) ok = (await downOne(entry, io)) && ok;
  return ok ? 0 : 1;
};
