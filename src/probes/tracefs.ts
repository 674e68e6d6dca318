// How the tracers (drops.ts, fib-trace.ts) reach tracefs: the few file operations they make, as
// an interface. On the host they are this process's own file calls. With `--backend vm` lab's
// host side runs on the host and the kernel to trace is the guest's: there each operation is a
// command the guest runner runs in the guest (src/cli/vm-entry.ts puts `commandTraceFiles` in
// place), so that no Node has to run in the guest for --explain.
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, readSync, rmdirSync, writeFileSync } from 'node:fs';
import type { Runner } from '../types/runner.js';

export interface TraceFiles {
  exists(path: string): Promise<boolean>;
  mkdir(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  read(path: string): Promise<string>;
  /** Opens `path` truncating (for a trace buffer: clears it) and writes `text` in one write. */
  write(path: string, text: string): Promise<void>;
  /**
   * What a trace_pipe holds now, consumed, without waiting for more. Where it is missing the
   * tracers read `trace` and clear it, losing what the kernel writes in between (parallel cases'
   * probes): the time of a guest command in a VM, and on a loaded host whenever lab is preempted
   * between the two (measured: the uid probe of sender-decisions.yaml saw no lookups in 2 runs of
   * 16 with two busy loops beside it).
   */
  take?(pipe: string): Promise<string>;
}

/** Non-blocking reads of `pipe` until it is empty (EAGAIN): what it held, consumed. */
const takeNow = (pipe: string): string => {
  const fd = openSync(pipe, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const chunks: Buffer[] = [];
    const buffer = Buffer.alloc(65536);
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buffer, 0, buffer.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw err;
      }
      if (n === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, n)));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
};

/** This process's own files. */
export const localTraceFiles: TraceFiles = {
  exists: async (path) => existsSync(path),
  mkdir: async (path) => void mkdirSync(path),
  rmdir: async (path) => rmdirSync(path),
  read: async (path) => readFileSync(path, 'utf8'),
  write: async (path, text) => writeFileSync(path, text),
  take: async (pipe) => takeNow(pipe),
};

/**
 * The files of the machine `runner` runs its commands on, one command per operation (argv, no
 * shell): `test -e`, `mkdir`, `rmdir`, `cat`, and `dd` for a write (it opens with O_TRUNC as a
 * shell's `>` does; `iflag=fullblock` and a block larger than any filter make it one write(),
 * which a tracefs control file needs: a filter written in two pieces is two filters). Each command
 * takes the runner's default timeout, which is scaled in a TCG guest (LAB_TIME_SCALE).
 */
export const commandTraceFiles = (runner: Runner): TraceFiles => {
  const run = async (argv: string[], input?: string) => {
    const r = await runner.run({ argv, ...(input !== undefined ? { input } : {}) });
    if (r.exitCode !== 0) throw new Error(`${argv[0]} ${argv[argv.length - 1]}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    return r.stdout;
  };
  return {
    exists: async (path) => (await runner.run({ argv: ['test', '-e', path] })).exitCode === 0,
    mkdir: async (path) => void (await run(['mkdir', path])),
    rmdir: async (path) => void (await run(['rmdir', path])),
    read: (path) => run(['cat', path]),
    write: async (path, text) => void (await run(['dd', `of=${path}`, 'bs=65536', 'iflag=fullblock', 'status=none'], text)),
    async take(pipe) {
      // Non-blocking reads until the pipe is empty: dd then stops on EAGAIN (exit 1), which here
      // is the end, not an error.
      const r = await runner.run({ argv: ['dd', `if=${pipe}`, 'iflag=nonblock', 'bs=65536', 'status=none'] });
      if (r.exitCode !== 0 && !/Resource temporarily unavailable/.test(r.stderr)) throw new Error(`dd ${pipe}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
      return r.stdout;
    },
  };
};

let current: TraceFiles = localTraceFiles;

/**
 * What the tracers use unless they are handed files: one per process, like the runner
 * (src/backends/forker.ts useRunner), and set at the same place: lab's host side of a VM.
 */
export const traceFiles = (): TraceFiles => current;
export const useTraceFiles = (files: TraceFiles): void => {
  current = files;
};
