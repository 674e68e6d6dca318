import { execa } from 'execa';

// The seam's data types live in the leaf module; they are re-exported for the backends' callers.
import type { Command, CommandResult, LiveProcess, Runner } from '../types/runner.js';
import { timeScale } from './time-scale.js';
export type { Command, CommandResult, LiveProcess, Runner };

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

/** The one seam between lab and the system (the production one: src/backends/forker.ts). */
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * A command's timeout when it names none: DEFAULT_TIMEOUT_MS times the time scale, so that in a
 * TCG guest (LAB_TIME_SCALE=8) a command that is slow, not hung, is not cut off: an `nft -f -`
 * and a `hostapd -B` timed out at 10 s in the guest on a loaded machine.
 */
export const defaultTimeoutMs = (): number => DEFAULT_TIMEOUT_MS * timeScale();

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
      // A batch's first line says what it is (`netns del …`, `addr add …`).
      const first = cmd.argv.at(-1) === '-' && cmd.input ? ` <<< ${cmd.input.split('\n', 1)[0]}${cmd.input.indexOf('\n') < cmd.input.length - 1 ? ' …' : ''}` : '';
      write(`[trace] ${start} ms +${r.durationMs.toFixed(1)} ms exit ${r.exitCode}: ${shown(cmd.argv)}${first}`);
      return r;
    },
    start(cmd) {
      write(`[trace] ${at()} ms start: ${shown(cmd.argv)}`);
      return inner.start(cmd);
    },
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
      timeout: cmd.timeoutMs ?? defaultTimeoutMs(),
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
      timeout: cmd.timeoutMs ?? defaultTimeoutMs(),
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
