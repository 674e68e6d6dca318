// Stopping a lab cleanly on SIGINT/SIGTERM. Once interrupted, the runner refuses to build
// anything more (cases in flight then fail fast and tear down what they built) and kills the
// long-lived children it started; commands already running are left to finish (each has a
// timeout), so a namespace being created at that instant is recorded and removed, never missed.
import type { Command, CommandResult, LiveProcess, Runner } from './runner.js';

const TEARDOWN_NETNS_VERBS = ['pids', 'del', 'delete', 'list', 'identify'];

/**
 * Commands that take things down: still allowed after an interrupt. A root `ip -force -batch -`
 * is one when every line of its input is `netns pids|del NS` (how lab empties and deletes many
 * namespaces at once).
 */
export const isTeardownCommand = (argv: readonly string[], input?: string): boolean => {
  const [file, sub, verb] = argv;
  if (file === 'ip' && sub === 'netns') return TEARDOWN_NETNS_VERBS.includes(verb ?? '');
  if (file === 'ip' && argv.length === 4 && sub === '-force' && verb === '-batch' && argv[3] === '-') {
    const lines = (input ?? '').split('\n').filter((l) => l.trim());
    return lines.length > 0 && lines.every((l) => /^netns (pids|del|delete) \S+$/.test(l.trim()));
  }
  return file === 'umount';
};

/**
 * Whether a command runs inside one of the run's own namespaces (`ip netns exec NS …`, `ip -n NS
 * …`, NS named `PREFIX-…`): whatever it makes is inside NS and goes with it, so a teardown need
 * not wait for it (a namespace agent lives as long as its case).
 */
export const confinedTo = (argv: readonly string[], prefix: string): boolean => {
  const [file, a, b, c] = argv;
  if (file !== 'ip') return false;
  const ns = a === 'netns' && b === 'exec' ? c : a === '-n' || a === '-netns' ? b : undefined;
  return ns !== undefined && ns.startsWith(`${prefix}-`) && !ns.includes('/');
};

export const INTERRUPTED = 'not run: lab was interrupted and is tearing down';

export interface GuardedRunner extends Runner {
  /** The commands and children running right now (a child as it was started). */
  inFlightCommands(): Command[];
  /** Resolves when nothing is running any more. */
  idle(): Promise<void>;
}

const refused = (cmd: Command): CommandResult => ({
  argv: cmd.argv,
  exitCode: -1,
  stdout: '',
  stderr: INTERRUPTED,
  durationMs: 0,
  timedOut: false,
});

export const guardedRunner = (inner: Runner, signal: AbortSignal): GuardedRunner => {
  const running = new Map<Promise<unknown>, Command>();
  const live = new Set<LiveProcess>();
  const idleWaiters: (() => void)[] = [];
  const track = <T>(p: Promise<T>, cmd: Command): Promise<T> => {
    running.set(p, cmd);
    const settle = (): void => {
      running.delete(p);
      if (running.size === 0) for (const w of idleWaiters.splice(0)) w();
    };
    p.then(settle, settle);
    return p;
  };
  signal.addEventListener('abort', () => {
    for (const child of live) child.kill();
  }, { once: true });

  return {
    inFlightCommands: () => [...running.values()],
    idle() {
      return running.size === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
    },
    run(cmd) {
      if (signal.aborted && !isTeardownCommand(cmd.argv, cmd.input)) return Promise.resolve(refused(cmd));
      return track(inner.run(cmd), cmd);
    },
    start(cmd) {
      if (signal.aborted) {
        const done = Promise.resolve(refused(cmd));
        return { pid: undefined, waitForLine: () => Promise.resolve(undefined), done, kill: () => undefined, stop: () => done };
      }
      const child = inner.start(cmd);
      live.add(child);
      void track(child.done, cmd).then(() => live.delete(child), () => live.delete(child));
      return child;
    },
  };
};

export const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

export interface SignalTrap {
  /** The first signal caught, if any. */
  readonly caught: NodeJS.Signals | undefined;
  readonly signal: AbortSignal;
  release(): void;
}

/**
 * Catches SIGINT, SIGTERM and SIGHUP: the first one aborts `signal` and calls `onFirst`; another
 * one calls `onAgain` (the user insists: stop waiting for commands in flight).
 */
export const trapSignals = (
  onFirst: (sig: NodeJS.Signals) => void,
  onAgain: (sig: NodeJS.Signals) => void,
): SignalTrap => {
  const controller = new AbortController();
  let caught: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals): void => {
    if (caught === undefined) {
      caught = sig;
      controller.abort();
      onFirst(sig);
    } else {
      onAgain(sig);
    }
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, handler);
  return {
    get caught() {
      return caught;
    },
    signal: controller.signal,
    release() {
      for (const s of signals) process.off(s, handler);
    },
  };
};
