// Running the user's own command inside a node, attached to lab's terminal. This is the one place
// besides the Runner that starts processes: stdio is passed through, and there is no timeout
// unless the user asks for one, because the command is the user's (a shell, a ping) and the user
// ends it. SIGINT from the terminal reaches the command itself (same process group); SIGTERM and
// SIGHUP sent to lab are passed on to it. lab's exit code is the command's.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { constants as os } from 'node:os';
import { delimiter, join } from 'node:path';

export interface AttachOptions {
  /** Ends the command (SIGTERM, then SIGKILL 2 s later) after this long; exit 124, like timeout(1). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Told when the timeout ends the command. */
  onTimeout?: () => void;
}

export const TIMEOUT_EXIT = 124;
export const NOT_FOUND_EXIT = 127;

/** Whether `command` would be found and executed, as execvp would look for it. */
export const findExecutable = (command: string, path: string = process.env['PATH'] ?? ''): string | undefined => {
  const candidates = command.includes('/') ? [command] : path.split(delimiter).filter(Boolean).map((d) => join(d, command));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // Not here.
    }
  }
  return undefined;
};

/** The exit code a shell would report: the child's code, or 128 + the signal that ended it. */
export const exitCodeOf = (code: number | null, signal: NodeJS.Signals | null): number =>
  code ?? (signal ? 128 + (os.signals[signal] ?? 0) : 1);

export const attach = (argv: readonly string[], opts: AttachOptions = {}): Promise<number> =>
  new Promise((resolve) => {
    const [file, ...args] = argv;
    if (!file) throw new TypeError('empty argv');
    const child = spawn(file, args, { stdio: 'inherit', env: opts.env ?? process.env });
    let timedOut = false;
    const timers: NodeJS.Timeout[] = [];
    if (opts.timeoutMs !== undefined) {
      timers.push(setTimeout(() => {
        timedOut = true;
        opts.onTimeout?.();
        child.kill('SIGTERM');
        timers.push(setTimeout(() => child.kill('SIGKILL'), 2_000));
      }, opts.timeoutMs));
    }
    const ignore = (): void => undefined;
    const pass = (sig: NodeJS.Signals): void => {
      child.kill(sig);
    };
    process.on('SIGINT', ignore);
    process.on('SIGTERM', pass);
    process.on('SIGHUP', pass);
    const done = (code: number): void => {
      for (const t of timers) clearTimeout(t);
      process.off('SIGINT', ignore);
      process.off('SIGTERM', pass);
      process.off('SIGHUP', pass);
      resolve(code);
    };
    child.on('error', () => done(NOT_FOUND_EXIT));
    child.on('exit', (code, signal) => done(timedOut ? TIMEOUT_EXIT : exitCodeOf(code, signal)));
  });
