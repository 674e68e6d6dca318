// The one seam between lab and the system, as data: a command, its result, a child that keeps
// running, and what runs them. The production runners are in src/backends/runner.ts and forker.ts.

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

export interface Runner {
  run(cmd: Command): Promise<CommandResult>;
  start(cmd: Command): LiveProcess;
}
