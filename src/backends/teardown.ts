// Removing what a lab recorded in its state file: for `lab down`, `lab clean` and interrupted runs.
// Each thing is released from the state file as soon as it is gone, so an interrupted teardown
// can be resumed and a second one is harmless.
import { rmdirSync, writeFileSync } from 'node:fs';
import { removeNamespace } from './host.js';
import type { Runner } from './runner.js';
import { namespaceInode, processStartTime, sameNamespace, type StateFile } from './state.js';

export interface TeardownDeps {
  runner: Runner;
  /** "dev:inode" of a namespace, undefined when there is none of that name. */
  inodeOf?: (netns: string) => string | undefined;
  /** Whether another live lab records this mount target or tracefs path too: then it stays. */
  sharedElsewhere?: (path: string) => boolean;
  /** Start time of a running pid, null when none runs. */
  startOf?: (pid: number) => string | null;
  kill?: (pid: number) => void;
  rmdir?: (path: string) => void;
  writeFile?: (path: string, text: string) => void;
  /**
   * A command that may still create recorded namespaces is running (a second signal stopped
   * the wait for it): a namespace not there yet stays recorded, for `lab clean` to remove once
   * it is.
   */
  keepAbsent?: boolean;
}

export interface TeardownReport {
  removed: string[];
  /** Things left alone, with the reason. */
  skipped: string[];
  /** Things that could not be removed; they stay recorded. */
  failed: string[];
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Removes everything `state` records, newest first within each kind. */
export const teardownRecorded = async (state: StateFile, deps: TeardownDeps): Promise<TeardownReport> => {
  const inodeOf = deps.inodeOf ?? ((ns: string) => namespaceInode(ns));
  const shared = deps.sharedElsewhere ?? (() => false);
  const startOf = deps.startOf ?? processStartTime;
  const kill = deps.kill ?? ((pid: number) => process.kill(pid, 'SIGKILL'));
  const rmdir = deps.rmdir ?? ((path: string) => rmdirSync(path));
  const write = deps.writeFile ?? ((path: string, text: string) => writeFileSync(path, text));
  const report: TeardownReport = { removed: [], skipped: [], failed: [] };
  const recorded = state.snapshot;

  for (const p of [...state.processes].reverse()) {
    const start = startOf(p.pid);
    if (start === null) {
      report.skipped.push(`process ${p.pid} (${p.what}): already gone`);
    } else if (p.pidStart !== null && start !== p.pidStart) {
      report.skipped.push(`process ${p.pid} (${p.what}): that pid is now another process; left alone`);
    } else {
      try {
        kill(p.pid);
        report.removed.push(`process ${p.pid} (${p.what})`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') {
          report.failed.push(`process ${p.pid} (${p.what}): ${message(err)}`);
          continue;
        }
      }
    }
    state.releaseProcess(p.pid);
  }

  for (const netns of [...state.namespaces].reverse()) {
    const created = recorded.namespaceInodes?.[netns];
    const now = inodeOf(netns);
    if (now === undefined && deps.keepAbsent) {
      report.skipped.push(`namespace ${netns}: not there (yet): stays recorded`);
      continue;
    } else if (now === undefined) {
      report.skipped.push(`namespace ${netns}: already gone`);
    } else if (created !== undefined && !sameNamespace(created, now)) {
      // Same name, another namespace: not the one this lab made.
      report.skipped.push(`namespace ${netns}: not the namespace this lab created; left alone`);
    } else {
      try {
        await removeNamespace(deps.runner, netns);
        report.removed.push(`namespace ${netns}`);
      } catch (err) {
        report.failed.push(`namespace ${netns}: ${message(err)}`);
        continue;
      }
    }
    state.release(netns);
  }

  for (const use of [...state.tracefs].reverse()) {
    if (shared(use.path)) {
      report.skipped.push(`tracefs ${use.path}: another live lab uses it`);
    } else {
      try {
        if (use.kind === 'instance') rmdir(use.path);
        else write(use.path, '0\n');
        report.removed.push(`tracefs ${use.kind} ${use.path}`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          report.failed.push(`tracefs ${use.path}: ${message(err)}`);
          continue;
        }
        report.skipped.push(`tracefs ${use.path}: already gone`);
      }
    }
    state.releaseTracefs(use.path);
  }

  for (const m of [...state.mounts].reverse()) {
    if (shared(m.target)) {
      report.skipped.push(`mount ${m.target} (${m.what}): another live lab uses it`);
    } else {
      const r = await deps.runner.run({ argv: ['umount', m.target], timeoutMs: 10_000 });
      if (r.exitCode === 0) {
        report.removed.push(`mount ${m.target} (${m.what})`);
      } else if (/not mounted|no mount point|No such file/.test(r.stderr)) {
        report.skipped.push(`mount ${m.target} (${m.what}): not mounted`);
      } else {
        report.failed.push(`mount ${m.target} (${m.what}): ${r.stderr.trim() || `umount exited with ${r.exitCode}`}`);
        continue;
      }
    }
    state.releaseMount(m.target);
  }
  return report;
};
