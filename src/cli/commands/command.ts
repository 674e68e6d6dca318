// The shape of one verb of the command line: what yargs registers (command, describe, builder
// with its options and examples) and what runs it. main.ts registers every module of this folder.
import type { ArgumentsCamelCase, Argv } from 'yargs';
import type { Output } from '../io.js';

export interface LabCommand<A = object> {
  /** The verb and its positionals, as yargs reads them: `run [files..]`. */
  command: string;
  /** The one line `lab --help` shows. */
  describe: string;
  builder: (y: Argv) => Argv<A>;
  /** Runs the verb: its exit code. Typed errors are thrown; main maps them to exit codes. */
  handler?: (args: ArgumentsCamelCase<A>, io: Output) => Promise<number> | number;
  /** Verbs under this one (`lab recipe list`), and the message when none is named. */
  subcommands?: { commands: readonly AnyLabCommand[]; missing: string };
}

/** A verb whatever its arguments: what a list of verbs holds (each was type-checked by labCommand). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyLabCommand = LabCommand<any>;

/** Types `handler`'s arguments from `builder` (a LabCommand literal alone would not infer them). */
export const labCommand = <A>(c: LabCommand<A>): LabCommand<A> => c;
