// What a lab does on SIGINT/SIGTERM/SIGHUP: the first signal stops building and tears down, a
// second one stops waiting for commands in flight. Used by withLab (lab.ts) only.
import { confinedTo, isTeardownCommand, trapSignals, type GuardedRunner, type SignalTrap } from '../backends/interrupt.js';
import { dirname } from 'node:path';
import { usedByOthers, type StateFile } from '../backends/state.js';
import { teardownRecorded, type TeardownDeps } from '../backends/teardown.js';

/** How teardowns look at the system (tests pass fakes); the runner is the lab's. */
export type TeardownSeams = Omit<TeardownDeps, 'runner' | 'keepAbsent'>;

/**
 * A run's own teardown leaves what another live lab uses too (a tracefs mount one of them made
 * and the other's trace instances live in): the last one out takes it away (StateFile.shareMount).
 */
export const ownTeardown = (state: StateFile, seams: TeardownSeams): TeardownSeams => ({
  sharedElsewhere: usedByOthers(state.runId, dirname(state.path)),
  ...seams,
});

/** Where the session's messages go: stderr in the CLI. */
export type Say = (text: string) => void;

export const stillRecorded = (state: StateFile): string =>
  `some resources of run ${state.runId} remain recorded in ${state.path}: run \`lab clean\`\n`;

/** The lab as the signal handlers see it: the runner and the state file exist once they are made. */
export interface TrappedLab {
  state?: StateFile;
  runner?: GuardedRunner;
  /** A kept lab (`lab up` done) is no longer the process's to tear down. */
  kept?: boolean;
}

/**
 * SIGINT/SIGTERM/SIGHUP: the first one stops the lab. Nothing new is built, the cases in flight
 * tear down what they built, then whatever the state file still records is removed (withLab)
 * and the process exits 128+signal. A second signal stops waiting for commands in flight: what is
 * recorded is removed at once, and the state file stays if something may still be in the making,
 * so that `lab clean` can finish the job; then `exit` ends the process.
 */
export const trapLabSignals = (
  lab: TrappedLab,
  say: Say,
  exit: (first: NodeJS.Signals) => void,
  trap: typeof trapSignals = trapSignals,
  seams: TeardownSeams = {},
): SignalTrap => {
  const trapped: SignalTrap = trap(
    (sig) => {
      if (lab.kept) return;
      say(`\n${sig}: tearing down ${lab.state?.namespaces.length ?? 0} namespace(s); waiting for the cases in flight…\n`);
    },
    (sig) => {
      if (lab.kept) return;
      const { state: s, runner: r } = lab;
      say(`${sig} again: removing what the state file records now\n`);
      void (async () => {
        try {
          // Commands inside the run's own namespaces (its agents, for one) make nothing that
          // outlives them, nor do deletions; anything else might still make what the state file
          // must keep.
          const busy = (r?.inFlightCommands() ?? []).some(
            (c) => !s || !(confinedTo(c.argv, s.prefix) || isTeardownCommand(c.argv, c.input)),
          );
          if (s && r) await teardownRecorded(s, { ...ownTeardown(s, seams), runner: r, keepAbsent: busy }).catch(() => undefined);
          if (s && ((!busy && !s.ownsAnything) || s.closed)) s.close();
          else if (busy) say('commands were still in flight: run `lab clean` to remove anything they made\n');
          else if (s) say(stillRecorded(s));
        } catch (err) {
          say(`could not finish the teardown: ${err instanceof Error ? err.message : String(err)}; run \`lab clean\`\n`);
        } finally {
          // Whatever happened above, the exit code says which signal ended the lab.
          exit(trapped.caught ?? sig);
        }
      })();
    },
  );
  return trapped;
};

/** After an interrupt: waits for commands in flight, removes what is still recorded, closes the state file. */
export const finishInterrupted = async (state: StateFile, runner: GuardedRunner, say: Say, seams: TeardownSeams = {}): Promise<void> => {
  await runner.idle();
  const report = await teardownRecorded(state, { ...ownTeardown(state, seams), runner });
  for (const f of report.failed) say(`could not remove ${f}\n`);
  if (!state.ownsAnything) state.close();
  else say(stillRecorded(state));
};
