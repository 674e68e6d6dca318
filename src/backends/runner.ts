import { execa } from 'execa';

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
}

/** The one seam between lab and the system. */
export interface Runner {
  run(cmd: Command): Promise<CommandResult>;
  start(cmd: Command): LiveProcess;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

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
  return {
    async run(cmd) {
      const start = at();
      const r = await inner.run(cmd);
      write(`[trace] ${start} ms +${r.durationMs.toFixed(1)} ms exit ${r.exitCode}: ${cmd.argv.join(' ')}`);
      return r;
    },
    start(cmd) {
      write(`[trace] ${at()} ms start: ${cmd.argv.join(' ')}`);
      return inner.start(cmd);
    },
  };
};

/** Production runner: execa, argv arrays only, never a shell; traced with LAB_TRACE=1. */
export const execaRunner = (): Runner => (process.env['LAB_TRACE'] === '1' ? tracedRunner(plainRunner()) : plainRunner());

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
      buffer: { stdout: true, stderr: true },
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
          buffer.lines.push(line);
          for (const w of waiters.splice(0)) {
            if (w.stream === name && w.test(line)) w.resolve(line);
            else waiters.push(w);
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
