// One error type per failure kind. Only src/cli maps them to exit codes.

export interface ScenarioProblem {
  file: string;
  line: number;
  col: number;
  /** Key path inside the document, e.g. `cases.1.probes.0.udp.to`. */
  path: string;
  message: string;
}

export const formatProblem = (p: ScenarioProblem): string =>
  `${p.file}:${p.line}:${p.col}: ${p.path ? `${p.path}: ` : ''}${p.message}`;

/** Bad input: every problem found in a scenario file, all at once. */
export class ScenarioError extends Error {
  readonly problems: ScenarioProblem[];
  constructor(problems: ScenarioProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ScenarioError';
    this.problems = problems;
  }
}

/** Bad command-line usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A system command failed; carries what is needed to reproduce it. */
export class CommandError extends Error {
  readonly argv: readonly string[];
  readonly exitCode: number;
  readonly stderr: string;
  readonly timedOut: boolean;
  constructor(argv: readonly string[], exitCode: number, stderr: string, timedOut = false) {
    super(describeCommandFailure(argv, exitCode, stderr, timedOut));
    this.name = 'CommandError';
    this.argv = argv;
    this.exitCode = exitCode;
    this.stderr = stderr;
    this.timedOut = timedOut;
  }
}

/** An argument longer than this, or of several lines (a program passed with -e or -c), is shown cut. */
const SHOWN_ARGUMENT = 120;

/**
 * A command as messages quote it: arguments joined by spaces, a program text in an argument cut to
 * its first line and its size (the agent and hwsim helper are passed as `perl -e TEXT`: quoted
 * whole, one error was 6 KB of perl).
 */
export const shownCommand = (argv: readonly string[]): string =>
  argv
    .map((a) => {
      if (a.length <= SHOWN_ARGUMENT && !a.includes('\n')) return a;
      const first = (a.split('\n')[0] ?? '').slice(0, 60);
      return `<${first}… (${new TextEncoder().encode(a).length} bytes)>`;
    })
    .join(' ');

export const describeCommandFailure = (
  argv: readonly string[],
  exitCode: number,
  stderr: string,
  timedOut: boolean,
): string => {
  const what = timedOut ? 'timed out' : `exited with ${exitCode}`;
  const why = stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : '';
  return `\`${shownCommand(argv)}\` ${what}${why}`;
};

/** The environment lacks something a scenario needs. */
export class CapabilityError extends Error {
  readonly capability: string;
  readonly remedy: string;
  constructor(capability: string, detail: string, remedy: string) {
    super(`${capability}: ${detail}. ${remedy}`);
    this.name = 'CapabilityError';
    this.capability = capability;
    this.remedy = remedy;
  }
}

/**
 * A signal (SIGINT, SIGTERM, SIGHUP) stopped the lab; thrown once what it built is torn down.
 * src/cli turns it into 128+signal.
 */
export class Interrupted extends Error {
  readonly signal: NodeJS.Signals;
  constructor(signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = 'Interrupted';
    this.signal = signal;
  }
}
