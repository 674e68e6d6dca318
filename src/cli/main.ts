// `lab`: registers the verbs of src/cli/commands/ with yargs, runs the one named, and turns what
// it threw into an exit code (exit-codes.ts).
import type { Argv } from 'yargs';
import yargs from './yargs-cjs.cjs';
import { CapabilityError, CommandError, Interrupted, ScenarioError, UsageError } from '../errors.js';
import type { AnyLabCommand } from './commands/command.js';
import { withExecSeparator } from './commands/exec.js';
import { COMMANDS } from './commands/index.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { processOutput, type Output } from './io.js';

const describe = (err: unknown, debug: boolean): string => {
  if (!(err instanceof Error)) return String(err);
  if (debug && err.stack) return err.stack;
  if (err instanceof ScenarioError) return err.message;
  if (err instanceof CapabilityError) return `lab cannot run here: ${err.message}`;
  if (err instanceof CommandError) return `command failed: ${err.message}`;
  if (err instanceof UsageError) return `${err.message}\n(see lab --help)`;
  return `internal error: ${err.message} (run with --debug for the stack)`;
};

const EPILOG = `Examples:
  lab run                                   the default scenario, scenarios/laptop-two-nics.yaml
  lab run scenarios/laptop-two-nics.yaml --case "accept-local sends it over the wire"
  lab run --format json > report.json
  lab run scenarios/*.yaml --format table,github,junit --out lab-report     in GitHub Actions
  lab run scenarios/*.yaml --shard 2/3      the second of three CI jobs: each case runs in one job
  lab graph scenarios/laptop-two-nics.yaml --format dot | dot -Tsvg > topology.svg
  lab graph scenarios/laptop-two-nics.yaml --report report.json --case NAME    the path NAME took
  lab validate scenarios/*.yaml
  lab recipe show accept-local --param node=laptop --param out=wlan0 --param in=wlan1
  lab doctor
  lab kernels                               the kernels --kernel can fetch, and those cached
  id=$(lab up scenarios/laptop-two-nics.yaml -q)   keep a lab up; then:
  lab exec $id laptop -- ip route get 192.0.2.2 from 192.0.2.1
  lab shell $id laptop ·  lab list ·  lab down $id ·  lab clean (what crashed runs left)
  lab bench                                 lab against Mininet and the raw floor (make bench)

Exit codes: 0 every expectation held, 1 an expectation failed, 2 bad input or usage,
3 this environment lacks a capability the scenario needs.`;

/** Adds `c` (and its subcommands) to `y`; `done` receives the exit code of the verb that ran. */
const register = (y: Argv, c: AnyLabCommand, io: Output, done: (code: number) => void): Argv => {
  const subs = c.subcommands;
  const builder = (b: Argv): Argv => {
    const built = c.builder(b);
    if (!subs) return built;
    return subs.commands.reduce((acc: Argv, sub) => register(acc, sub, io, done), built).demandCommand(1, subs.missing);
  };
  const handler = c.handler;
  if (!handler) return y.command(c.command, c.describe, builder);
  return y.command(c.command, c.describe, builder, async (a) => done(await handler(a, io)));
};

export const main = async (given: readonly string[], io: Output = processOutput()): Promise<number> => {
  const argv = withExecSeparator(given);
  let code: number = EXIT.ok;
  // Only lab's own options: after `--` the words belong to the command `lab exec` runs.
  const dashDash = argv.indexOf('--');
  const debug = (dashDash < 0 ? argv : argv.slice(0, dashDash)).includes('--debug');
  const parser = COMMANDS.reduce(
    (y: Argv, c) => register(y, c, io, (n) => (code = n)),
    yargs([...argv])
      .scriptName('lab')
      .usage('Usage: $0 <command> [options]\n\nBuilds network-namespace labs, sends probes, shows which devices each datagram crossed.')
      .option('debug', { type: 'boolean', describe: 'show stack traces', global: true }),
  )
    .demandCommand(1, 'name a command')
    .strict()
    .epilog(EPILOG)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
  try {
    let helped = false;
    parser.showHelpOnFail(false);
    await parser.parseAsync([...argv], {}, (err, _argv, output) => {
      if (output && !err) {
        helped = true;
        io.out(`${output}\n`);
      }
    });
    return helped ? EXIT.ok : code;
  } catch (err) {
    // An interrupted lab has said what it tore down; its exit code says the rest.
    if (!(err instanceof Interrupted)) io.err(`${describe(err, debug)}\n`);
    return exitCodeFor(err);
  }
};
