import { forgetLab, isOwnerAlive, livenessOf, namespaceIdentity, readLabs, tearDownLab, vmLabAlive, type RunState } from '../session/index.js';
import type { Output } from './io.js';

/** What `lab clean` would do with one lab, and why. */
export type CleanDecision =
  | { action: 'remove'; why: string }
  | { action: 'keep'; why: string }
  /** A kept lab none of whose namespaces exists any more: only its state file is left. */
  | { action: 'forget'; why: string };

export const decide = (
  s: RunState,
  alive: (s: RunState) => boolean,
  exists: (netns: string) => boolean,
  vmAlive: (s: RunState) => boolean | undefined = vmLabAlive,
): CleanDecision => {
  switch (livenessOf(s, alive)) {
    case 'live':
      return { action: 'keep', why: `its process ${s.pid} is alive (${s.status ?? 'running'})` };
    case 'kept':
      // A kept VM lab lives as long as its QEMU: once that is gone, only its run directory and state file are left.
      if (s.backend === 'vm') {
        if (vmAlive(s) === true) return { action: 'keep', why: `it is a kept VM lab and its QEMU runs; lab down ${s.runId} removes it` };
        return { action: 'remove', why: `it is a kept VM lab whose QEMU ${s.vm?.qemu?.pid ?? ''} is gone (stale)`.replace('  ', ' ') };
      }
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
  const exists = (ns: string): boolean => namespaceIdentity(ns) !== undefined;
  let removed = 0;
  let failed = 0;
  for (const entry of readLabs()) {
    const { path, state } = entry;
    const d = decide(state, isOwnerAlive, exists);
    if (d.action === 'keep') {
      io.out(`left lab ${state.runId} alone: ${d.why}\n`);
      continue;
    }
    if (opts.dryRun) {
      io.out(`would ${d.action === 'forget' ? 'forget' : 'remove'} lab ${state.runId}: ${d.why}\n`);
      for (const ns of state.namespaces) io.out(`  namespace ${ns}\n`);
      if (state.vm) io.out(`  run directory ${state.vm.runDir}\n`);
      continue;
    }
    if (d.action === 'forget') {
      forgetLab(entry);
      io.out(`forgot lab ${state.runId}: ${d.why}\n`);
      continue;
    }
    // This process owns the dead lab while it cleans, so a concurrent clean or down leaves it be.
    const { report, remains } = await tearDownLab(entry);
    for (const r of report.removed) {
      removed++;
      io.out(`removed ${r} (lab ${state.runId}: ${d.why})\n`);
    }
    for (const r of report.skipped) io.out(`skipped ${r} (lab ${state.runId})\n`);
    for (const r of report.failed) {
      failed++;
      io.err(`could not remove ${r} (lab ${state.runId})\n`);
    }
    if (remains) io.err(`lab ${state.runId}: some resources remain recorded in ${path}\n`);
  }
  if (!opts.dryRun) io.out(removed ? `${removed} resource(s) removed\n` : 'nothing to clean\n');
  return failed ? 1 : 0;
};
