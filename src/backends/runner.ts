import { execa } from 'execa';
import { NamespaceAgent } from './agent.js';
import { tracing } from './trace.js';

export interface Command {
  argv: readonly string[];
  /** Written to the command's stdin. */
  input?: string;
  /** Every command has a timeout; a hung child is killed. */
  timeoutMs?: number;
  /** For `start`: keep stdin open for `write` (the namespace agent); otherwise stdin is closed. */
  interactive?: boolean;
}

export interface CommandResult {
  argv: readonly string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

/** A child that keeps running: the probe receiver. */
export interface LiveProcess {
  pid: number | undefined;
  /**
   * Resolves with the first line of `stream` (stdout by default) that satisfies `test`, or
   * undefined when the child ends first.
   */
  waitForLine(test: (line: string) => boolean, stream?: 'stdout' | 'stderr'): Promise<string | undefined>;
  /** Resolves when the child has exited (killed by its own timeout at the latest). */
  done: Promise<CommandResult>;
  kill(): void;
  /** Asks the child to finish (SIGTERM), kills it if it has not within `graceMs`, and waits. */
  stop(graceMs?: number): Promise<CommandResult>;
  /** Writes to the child's stdin (only when started `interactive`). */
  write?(text: string): void;
  /** Closes the child's stdin. */
  end?(): void;
  /** Whether the child (and its pipes) keep lab's process alive; they do unless told otherwise. */
  ref?(on: boolean): void;
}

/**
 * A stream's lines, each handed to every waiter whose test it passes; lines no waiter took
 * are kept (the newest MAX_UNCLAIMED_LINES) for waiters yet to come. Waiters left when the stream
 * ends get undefined.
 */
export const lineReader = () => {
  let pending = '';
  let ended = false;
  const lines: string[] = [];
  const waiters: { test: (l: string) => boolean; resolve: (l: string | undefined) => void }[] = [];
  return {
    feed(chunk: string): void {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        let taken = false;
        for (const w of waiters.splice(0)) {
          if (w.test(line)) {
            w.resolve(line);
            taken = true;
          } else waiters.push(w);
        }
        if (taken) continue;
        lines.push(line);
        if (lines.length > MAX_UNCLAIMED_LINES) lines.shift();
      }
    },
    wait(test: (line: string) => boolean): Promise<string | undefined> {
      const found = lines.find(test);
      if (found !== undefined || ended) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ test, resolve }));
    },
    end(): void {
      ended = true;
      for (const w of waiters.splice(0)) w.resolve(undefined);
    },
  };
};

/** The one seam between lab and the system. */
export interface Runner {
  run(cmd: Command): Promise<CommandResult>;
  start(cmd: Command): LiveProcess;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

/** Lines of a started child that no waiter took, kept for waiters yet to come (the newest). */
const MAX_UNCLAIMED_LINES = 1_000;

const toResult = (
  argv: readonly string[],
  r: { exitCode?: number | undefined; stdout?: unknown; stderr?: unknown; timedOut?: boolean; durationMs?: number },
  started: number,
): CommandResult => ({
  argv,
  exitCode: r.exitCode ?? -1,
  stdout: typeof r.stdout === 'string' ? r.stdout : '',
  stderr: typeof r.stderr === 'string' ? r.stderr : '',
  durationMs: r.durationMs ?? performance.now() - started,
  timedOut: r.timedOut ?? false,
});

/**
 * With LAB_TRACE=1 every command goes to stderr with its start (ms since the first command) and
 * its duration: where a run spends its time, for whoever profiles it.
 */
export const tracedRunner = (inner: Runner, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Runner => {
  const t0 = performance.now();
  const at = (): string => (performance.now() - t0).toFixed(1).padStart(8);
  const shown = (argv: readonly string[]): string => argv.map((a) => (a.length > 60 ? `${a.slice(0, 20).replace(/\n/g, ' ')}…` : a)).join(' ');
  return {
    async run(cmd) {
      const start = at();
      const r = await inner.run(cmd);
      write(`[trace] ${start} ms +${r.durationMs.toFixed(1)} ms exit ${r.exitCode}: ${shown(cmd.argv)}`);
      return r;
    },
    start(cmd) {
      write(`[trace] ${at()} ms start: ${shown(cmd.argv)}`);
      return inner.start(cmd);
    },
  };
};

/**
 * The production runner: argv arrays only, never a shell; traced with LAB_TRACE=1. Commands that
 * run to their end are forked by one long-lived perl process (the namespace agent's program, in
 * lab's own namespace), not by Node: a spawn costs Node's one thread about 4 ms here (a CPU
 * profile of a 40-cell matrix: 1.4 s of 3.9 s busy in ChildProcess.spawn), a request to the
 * perl process microseconds. Long-lived children (`start`) are execa's.
 */
export const execaRunner = (): Runner => {
  if (!shared) {
    const runner = perlForked(plainRunner());
    shared = tracing() ? tracedRunner(runner) : runner;
  }
  return shared;
};

/** One per process: every part of lab shares the one perl process. */
let shared: Runner | undefined;

/**
 * What execaRunner() answers from now on. The VM backend's host side (src/cli/vm-entry.ts) puts
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

/** execa alone, for every command (tests, and under perlForked). */
export const plainRunner = (): Runner => ({
  async run(cmd) {
    const [file, ...args] = cmd.argv;
    if (!file) throw new TypeError('empty argv');
    const started = performance.now();
    const r = await execa(file, args, {
      reject: false,
      timeout: cmd.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      killSignal: 'SIGKILL',
      stripFinalNewline: false,
      ...(cmd.input !== undefined ? { input: cmd.input } : { stdin: 'ignore' }),
    });
    return toResult(cmd.argv, r, started);
  },

  start(cmd) {
    const [file, ...args] = cmd.argv;
    if (!file) throw new TypeError('empty argv');
    const started = performance.now();
    const child = execa(file, args, {
      reject: false,
      timeout: cmd.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      killSignal: 'SIGKILL',
      stdin: cmd.interactive ? 'pipe' : 'ignore',
      buffer: { stdout: true, stderr: true },
    });
    const streams = { stdout: lineReader(), stderr: lineReader() };
    for (const name of ['stdout', 'stderr'] as const) child[name]?.on('data', (chunk: Buffer) => streams[name].feed(chunk.toString()));
    const done = child.then((r) => {
      streams.stdout.end();
      streams.stderr.end();
      return toResult(cmd.argv, r, started);
    });
    return {
      pid: child.pid,
      waitForLine: (test, stream = 'stdout') => streams[stream].wait(test),
      done,
      kill: () => child.kill('SIGKILL'),
      ...(cmd.interactive
        ? {
            write: (text: string) => void child.stdin?.write(text),
            end: () => void child.stdin?.end(),
          }
        : {}),
      ref(on: boolean) {
        // Pipes are sockets underneath, which can be unref'ed like the child itself.
        const handles = [child, child.stdin, child.stdout, child.stderr] as unknown as ({ ref?(): void; unref?(): void } | null)[];
        for (const handle of handles) {
          if (on) handle?.ref?.();
          else handle?.unref?.();
        }
      },
      async stop(graceMs = 2_000) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        try {
          return await done;
        } finally {
          clearTimeout(timer);
        }
      },
    };
  },
});
