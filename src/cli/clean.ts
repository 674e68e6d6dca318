import { guardedRunner } from '../backends/interrupt.js';
import { forkingRunner } from '../backends/forker.js';
import { defaultStateDir, isOwnerAlive, livenessOf, namespaceInode, readStates, StateFile, type RunState } from '../backends/state.js';
import { teardownRecorded } from '../backends/teardown.js';
import { sharedWithOthers } from './down.js';
import type { Output } from './io.js';

/** What `lab clean` would do with one lab, and why. */
export type CleanDecision =
  | { action: 'remove'; why: string }
  | { action: 'keep'; why: string }
  /** A kept lab none of whose namespaces exists any more: only its state file is left. */
  | { action: 'forget'; why: string };

export const decide = (s: RunState, alive: (s: RunState) => boolean, exists: (netns: string) => boolean): CleanDecision => {
  switch (livenessOf(s, alive)) {
    case 'live':
      return { action: 'keep', why: `its process ${s.pid} is alive (${s.status ?? 'running'})` };
    case 'kept':
      if (s.namespaces.length > 0 && !s.namespaces.some(exists)) {
        return { action: 'forget', why: 'it was kept, but none of its namespaces exists any more' };
      }
      return { action: 'keep', why: `it is kept by lab up; lab down ${s.runId} removes it` };
    case 'dead':
      return { action: 'remove', why: `its process ${s.pid} is gone (${s.status ?? 'running'} when it died)` };
  }
};

/**
 * `lab clean`: removes what labs whose process died left behind, exactly as their state files
 * record it: namespaces (only the very namespace the lab created, not another one of that name),
 * processes (only if the pid still is that process), mounts and tracefs changes (unless another
 * live lab records them too). Live runs, kept labs, and anything not recorded are never touched.
 */
export const cleanCommand = async (io: Output, opts: { dryRun?: boolean } = {}): Promise<number> => {
  const dir = defaultStateDir();
  const runner = guardedRunner(forkingRunner(), new AbortController().signal);
  const exists = (ns: string): boolean => namespaceInode(ns) !== undefined;
  let removed = 0;
  let failed = 0;
  for (const { path, state } of readStates(dir)) {
    const d = decide(state, isOwnerAlive, exists);
    if (d.action === 'keep') {
      io.out(`left lab ${state.runId} alone: ${d.why}\n`);
      continue;
    }
    if (opts.dryRun) {
      io.out(`would ${d.action === 'forget' ? 'forget' : 'remove'} lab ${state.runId}: ${d.why}\n`);
      for (const ns of state.namespaces) io.out(`  namespace ${ns}\n`);
      continue;
    }
    if (d.action === 'forget') {
      StateFile.adopt(path, state, 'tearing-down').close();
      io.out(`forgot lab ${state.runId}: ${d.why}\n`);
      continue;
    }
    // This process owns the dead lab while it cleans, so a concurrent clean or down leaves it be.
    const owned = StateFile.adopt(path, state, 'tearing-down');
    const report = await teardownRecorded(owned, { runner, sharedElsewhere: sharedWithOthers(state.runId, dir) });
    for (const r of report.removed) {
      removed++;
      io.out(`removed ${r} (lab ${state.runId}: ${d.why})\n`);
    }
    for (const r of report.skipped) io.out(`skipped ${r} (lab ${state.runId})\n`);
    for (const r of report.failed) {
      failed++;
      io.err(`could not remove ${r} (lab ${state.runId})\n`);
    }
    if (owned.ownsAnything) io.err(`lab ${state.runId}: some resources remain recorded in ${path}\n`);
    else owned.close();
  }
  if (!opts.dryRun) io.out(removed ? `${removed} resource(s) removed\n` : 'nothing to clean\n');
  return failed ? 1 : 0;
};
