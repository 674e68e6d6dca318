// The production runner: commands that run to their end are forked by one long-lived perl
// process (the namespace agent's program, in lab's own namespace), not by Node. Its own module,
// above runner.ts (the seam and plain execa) and agent.ts (the agent's client), which imports
// runner.ts: the runner knows nothing of the agent.
import { NamespaceAgent } from './agent.js';
import { plainRunner, tracedRunner, type Runner } from './runner.js';
import { tracing } from './trace.js';

/**
 * The production runner, one per process (every caller gets the same): argv arrays only, never a
 * shell; traced with LAB_TRACE=1. Commands that
 * run to their end are forked by one long-lived perl process (the namespace agent's program, in
 * lab's own namespace), not by Node: a spawn costs Node's one thread about 2.5 ms of CPU here
 * (docs/design/performance.md), a request to the perl process microseconds. Long-lived children (`start`) are execa's.
 */
export const forkingRunner = (): Runner => {
  if (!shared) {
    const runner = perlForked(plainRunner());
    shared = tracing() ? tracedRunner(runner) : runner;
  }
  return shared;
};

/** One per process: every part of lab shares the one perl process. */
let shared: Runner | undefined;

/**
 * What forkingRunner() answers from now on. The VM backend's host side (src/cli/vm-entry.ts) puts
 * its guest runner here: every command of the process then runs inside the VM.
 */
export const useRunner = (runner: Runner): void => {
  shared = tracing() ? tracedRunner(runner) : runner;
};

/**
 * How many commands one perl process forks before a fresh one takes over: execa keeps a started
 * child's whole output (up to its 100 MB limit), and the answers of a long run add up.
 */
export const RECYCLE_AFTER = 2_000;

/** `run` through a perl process started on first use; plain execa when that cannot start or has ended. */
export const perlForked = (inner: Runner, recycleAfter = RECYCLE_AFTER): Runner => {
  interface Forker {
    agent: Promise<NamespaceAgent | undefined>;
    pending: number;
    served: number;
  }
  let current: Forker | undefined;
  const fresh = (): Forker => ({
    agent: NamespaceAgent.startHere(inner).then(
      (agent) => {
        agent.ref(false);
        return agent;
      },
      () => undefined,
    ),
    pending: 0,
    served: 0,
  });
  const retire = (f: Forker): void => void f.agent.then((a) => a?.stop());
  return {
    async run(cmd) {
      if (!current || current.served >= recycleAfter) {
        // The old one ends once its last command is answered.
        if (current && current.pending === 0) retire(current);
        current = fresh();
      }
      const f = current;
      f.served += 1;
      // Counted before the wait for the process, so it is not retired under this command.
      f.pending += 1;
      try {
        const agent = await f.agent;
        if (!agent || agent.ended) return await inner.run(cmd);
        // While a command is out, the perl process's pipes keep lab alive; when idle, they do not.
        agent.ref(true);
        return await agent.run(cmd);
      } finally {
        if (--f.pending === 0) {
          void f.agent.then((agent) => agent?.ref(false));
          if (f !== current) retire(f);
        }
      }
    },
    start: (cmd) => inner.start(cmd),
  };
};
