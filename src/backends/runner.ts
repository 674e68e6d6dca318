import { execa } from 'execa';
import { NamespaceAgent } from './agent.js';

export interface Command {
  argv: readonly string[];
  /** Written to the command's stdin. */
  input?: string;
  /** Every command has a timeout; a hung child is killed. */
  timeoutMs?: number;
  /** For `start`: keep stdin open for `write` (the namespace agent); otherwise stdin is closed. */
  interactive?: boolean;
  /**
   * For `start`: keep the whole output for `done` (the default). A process that answers for the
   * whole run (lab's perl process) does not: it would keep every answer in memory.
   */
  keepOutput?: boolean;
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
    shared = process.env['LAB_TRACE'] === '1' ? tracedRunner(runner) : runner;
  }
  return shared;
};

/** One per process: every part of lab shares the one perl process. */
let shared: Runner | undefined;

/** `run` through a perl process started on first use; plain execa when that cannot start or has ended. */
export const perlForked = (inner: Runner): Runner => {
  let forker: Promise<NamespaceAgent | undefined> | undefined;
  let pending = 0;
  const get = (): Promise<NamespaceAgent | undefined> =>
    (forker ??= NamespaceAgent.startHere(inner).then(
      (agent) => {
        agent.ref(false);
        return agent;
      },
      () => undefined,
    ));
  return {
    async run(cmd) {
      const agent = await get();
      if (!agent || agent.ended) return inner.run(cmd);
      // While a command is out, the perl process's pipes keep lab alive; when idle, they do not.
      if (pending++ === 0) agent.ref(true);
      try {
        return await agent.run(cmd);
      } finally {
        if (--pending === 0) agent.ref(false);
      }
    },
    start: (cmd) => inner.start(cmd),
  };
};

const plainRunner = (): Runner => ({
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
      buffer: cmd.keepOutput === false ? false : { stdout: true, stderr: true },
    });
    const streams = { stdout: { pending: '', lines: [] as string[] }, stderr: { pending: '', lines: [] as string[] } };
    const waiters: { stream: 'stdout' | 'stderr'; test: (l: string) => boolean; resolve: (l: string | undefined) => void }[] = [];
    for (const name of ['stdout', 'stderr'] as const) {
      const buffer = streams[name];
      child[name]?.on('data', (chunk: Buffer) => {
        buffer.pending += chunk.toString();
        let nl: number;
        while ((nl = buffer.pending.indexOf('\n')) >= 0) {
          const line = buffer.pending.slice(0, nl);
          buffer.pending = buffer.pending.slice(nl + 1);
          let taken = false;
          for (const w of waiters.splice(0)) {
            if (w.stream === name && w.test(line)) {
              w.resolve(line);
              taken = true;
            } else waiters.push(w);
          }
          // Kept for a waiter yet to come; a line a waiter took is not looked for again.
          if (!taken) {
            buffer.lines.push(line);
            if (buffer.lines.length > MAX_UNCLAIMED_LINES) buffer.lines.shift();
          }
        }
      });
    }
    const done = child.then((r) => {
      for (const w of waiters.splice(0)) w.resolve(undefined);
      return toResult(cmd.argv, r, started);
    });
    return {
      pid: child.pid,
      waitForLine(test, stream = 'stdout') {
        const found = streams[stream].lines.find(test);
        if (found !== undefined) return Promise.resolve(found);
        return new Promise((resolve) => {
          waiters.push({ stream, test, resolve });
          void done.then(() => resolve(undefined));
        });
      },
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
