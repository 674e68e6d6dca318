import { UsageError } from '../errors.js';
import { findLab, isOwnerAlive, livenessOf, readLabs, tearDownLab, type StateEntry } from '../session/index.js';
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
  // SIGINT/SIGTERM must not leave half a lab: teardown is short, so finish it first.
  const hold = (sig: NodeJS.Signals): void => void io.err(`${sig}: finishing the teardown of lab ${s.runId} first\n`);
  // A kept VM lab: its guest is asked to power off first, QEMU killed only if it does not.
  const { report, remains, path } = await tearDownLab(entry, { holdSignals: hold, graceful: true });
  for (const r of report.removed) io.out(`  removed ${r}\n`);
  for (const r of report.skipped) io.out(`  skipped ${r}\n`);
  for (const r of report.failed) io.err(`  could not remove ${r}\n`);
  if (remains) {
    io.err(`lab ${s.runId}: some resources remain, recorded in ${path}; lab down ${s.runId} retries\n`);
    return false;
  }
  io.out(`lab ${s.runId} is down\n`);
  return true;
};

/** `lab down LAB...` / `lab down --all`: exit 0 when everything is gone, 1 when something remains. */
export const downCommand = async (opts: DownOptions, io: Output): Promise<number> => {
  if (opts.all && opts.labs.length) throw new UsageError('name labs or give --all, not both');
  if (!opts.all && opts.labs.length === 0) throw new UsageError('name the lab to tear down (lab list shows them), or give --all');
  // A lab that is already gone is down: a note, and exit 0, so that scripts may say it twice.
  const states = opts.all ? [] : readLabs();
  const gone = opts.labs.filter((id) => findLab(states, id) === undefined);
  for (const id of gone) io.err(`lab ${id}: no such lab (already down, or never up); nothing to do\n`);
  const entries = opts.all
    ? readLabs().filter((e) => livenessOf(e.state, isOwnerAlive) === 'kept')
    : opts.labs.filter((id) => !gone.includes(id)).map((id) => resolveLab(id));
  if (opts.all && entries.length === 0) io.out('no kept labs\n');
  let ok = true;
  for (const entry of entries) ok = (await downOne(entry, io)) && ok;
  return ok ? 0 : 1;
};
